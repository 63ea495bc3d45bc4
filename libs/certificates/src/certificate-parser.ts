import { X509Certificate } from 'node:crypto';

export const MAX_CHAIN_LENGTH = 10;
export const MAX_PEM_BYTES = 64 * 1024;

/** What the inventory keeps of one certificate (all of it public). */
export interface CertificateDetails {
  subject: string;
  issuer: string;
  subjectAltNames: string[];
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  keyType: string;
  keyBits: number | null;
  keyCurve: string | null;
  signatureAlgorithm: string;
  isCa: boolean;
  selfSigned: boolean;
}

export class CertificateParseError extends Error {}

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/**
 * The CERTIFICATE blocks of a PEM text, in order, each parsed by `node:crypto` (which rejects malformed DER).
 * Other blocks (a private key pasted along) are neither parsed nor kept; `privateKeyPresent` says one was there.
 */
export function parsePemChain(pem: string): { chain: X509Certificate[]; privateKeyPresent: boolean } {
  if (Buffer.byteLength(pem) > MAX_PEM_BYTES)
    throw new CertificateParseError(`PEM is larger than ${MAX_PEM_BYTES} bytes`);
  const chain: X509Certificate[] = [];
  let from = 0;
  for (;;) {
    const start = pem.indexOf(BEGIN, from);
    if (start < 0) break;
    const end = pem.indexOf(END, start);
    if (end < 0) throw new CertificateParseError(`certificate ${chain.length + 1} has no END line`);
    if (chain.length === MAX_CHAIN_LENGTH)
      throw new CertificateParseError(`more than ${MAX_CHAIN_LENGTH} certificates`);
    try {
      chain.push(new X509Certificate(pem.slice(start, end + END.length)));
    } catch {
      throw new CertificateParseError(`certificate ${chain.length + 1} is not a valid X.509 certificate`);
    }
    from = end + END.length;
  }
  if (!chain.length) throw new CertificateParseError('no PEM certificate (-----BEGIN CERTIFICATE-----) found');
  return { chain, privateKeyPresent: pem.includes('PRIVATE KEY-----') };
}

/** DER certificates (as a TLS peer sends them) parsed the same way. */
export function parseDerChain(ders: Buffer[]): X509Certificate[] {
  if (!ders.length) throw new CertificateParseError('the peer sent no certificate');
  return ders.slice(0, MAX_CHAIN_LENGTH).map((der, i) => {
    try {
      return new X509Certificate(der);
    } catch {
      throw new CertificateParseError(`certificate ${i + 1} sent by the peer is not a valid X.509 certificate`);
    }
  });
}

export function toPem(chain: X509Certificate[]): string {
  return chain.map((c) => c.toString().trim()).join('\n') + '\n';
}

/** Issued by itself: same name and its own key verifies its signature (key usage is not required to allow signing). */
export function isSelfSigned(cert: X509Certificate): boolean {
  if (cert.subject !== cert.issuer) return false;
  try {
    return cert.verify(cert.publicKey);
  } catch {
    return false;
  }
}

export function describe(cert: X509Certificate): CertificateDetails {
  const key = cert.publicKey;
  const details = key.asymmetricKeyDetails ?? {};
  return {
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    subjectAltNames: splitSubjectAltName(cert.subjectAltName),
    serialNumber: cert.serialNumber,
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprintSha256: cert.fingerprint256,
    keyType: key.asymmetricKeyType ?? 'unknown',
    keyBits: details.modulusLength ?? null,
    keyCurve: details.namedCurve ?? null,
    signatureAlgorithm: signatureAlgorithmOf(cert.raw),
    isCa: cert.ca,
    selfSigned: isSelfSigned(cert),
  };
}

/** `CN=a\nO=b` (Node's form) as `CN=a, O=b`. */
function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

/** Node lists SANs as `DNS:a, IP Address:1.2.3.4`; values with commas are quoted JSON strings. */
export function splitSubjectAltName(san: string | undefined): string[] {
  if (!san) return [];
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < san.length; i++) {
    const ch = san[i];
    if (ch === '"' && san[i - 1] !== '\\') quoted = !quoted;
    if (ch === ',' && !quoted && san[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
      continue;
    }
    current += ch;
  }
  if (current) out.push(current);
  return out;
}

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.3': 'md4WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsa-with-SHA1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-SHA256',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** Algorithms whose hash is broken for signatures (collisions): MD2, MD4, MD5, SHA-1. */
export function isWeakSignatureAlgorithm(name: string): boolean {
  return /^(md2|md4|md5|sha1)With|with-SHA1$/i.test(name);
}

/**
 * The outer `signatureAlgorithm` of a DER certificate (Node 20's X509Certificate does not expose it):
 * Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE { algorithm OID, … }, … }.
 */
export function signatureAlgorithmOf(der: Buffer): string {
  const outer = readTlv(der, 0, 0x30);
  const tbs = readTlv(der, outer.contentStart, 0x30);
  const algId = readTlv(der, tbs.end, 0x30);
  const oidTlv = readTlv(der, algId.contentStart, 0x06);
  const oid = decodeOid(der.subarray(oidTlv.contentStart, oidTlv.end));
  return SIGNATURE_ALGORITHMS[oid] ?? oid;
}

function readTlv(buf: Buffer, at: number, tag: number): { contentStart: number; end: number } {
  if (buf[at] !== tag) throw new CertificateParseError('unexpected DER structure');
  let length = buf[at + 1];
  let offset = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 4) throw new CertificateParseError('unsupported DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[offset + i];
    offset += n;
  }
  if (offset + length > buf.length) throw new CertificateParseError('truncated DER');
  return { contentStart: offset, end: offset + length };
}

function decodeOid(bytes: Buffer): string {
  const parts: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (!parts.length) parts.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
      else parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}
