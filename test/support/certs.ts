import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type KeyKind = 'p256' | 'p384' | 'rsa1024' | 'rsa2048';
export type Hash = 'SHA-1' | 'SHA-256';

/** A certificate made for a test, with its keys (to sign further certificates or serve TLS). */
export interface Issued {
  pem: string;
  keyPem: string;
  keys: CryptoKeyPair;
  kind: KeyKind;
  hash: Hash;
  name: string;
}

export interface IssueOptions {
  cn: string;
  /** DNS names and IPs for the SAN extension (leaf certificates). */
  dns?: string[];
  ips?: string[];
  notBefore?: Date;
  notAfter?: Date;
  key?: KeyKind;
  /** Signature hash used when this certificate signs others (RSA keys are bound to it). */
  hash?: Hash;
  ca?: boolean;
}

const DAY = 86_400_000;

async function keysFor(kind: KeyKind, hash: Hash): Promise<CryptoKeyPair> {
  if (kind === 'p256' || kind === 'p384') {
    return (await webcrypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: kind === 'p256' ? 'P-256' : 'P-384' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
  }
  return (await webcrypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: kind === 'rsa1024' ? 1024 : 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash,
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
}

function signingAlgorithm(signer: { kind: KeyKind; hash: Hash }) {
  return signer.kind.startsWith('rsa')
    ? { name: 'RSASSA-PKCS1-v1_5', hash: signer.hash }
    : { name: 'ECDSA', hash: signer.hash };
}

let serial = 1;
const nextSerial = () => (0x10000 + serial++).toString(16).padStart(8, '0');

/** Issues a certificate signed by `issuer`, or self-signed without one. Days are relative to `now`. */
export async function issue(issuer: Issued | null, o: IssueOptions, now = new Date()): Promise<Issued> {
  const kind = o.key ?? 'p256';
  const hash = o.hash ?? 'SHA-256';
  const keys = await keysFor(kind, hash);
  const name = `CN=${o.cn}`;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!o.ca, o.ca ? 1 : undefined, true),
    new x509.KeyUsagesExtension(
      o.ca
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
  ];
  const sans = [
    ...(o.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(o.ips ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const base = {
    serialNumber: nextSerial(),
    notBefore: o.notBefore ?? new Date(now.getTime() - DAY),
    notAfter: o.notAfter ?? new Date(now.getTime() + 90 * DAY),
    extensions,
  };
  const cert = issuer
    ? await x509.X509CertificateGenerator.create({
        ...base,
        subject: name,
        issuer: issuer.name,
        publicKey: keys.publicKey,
        signingKey: issuer.keys.privateKey,
        signingAlgorithm: signingAlgorithm(issuer),
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...base,
        name,
        keys,
        signingAlgorithm: signingAlgorithm({ kind, hash }),
      });
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { pem: cert.toString('pem') + '\n', keyPem: keyPem + '\n', keys, kind, hash, name };
}

export const daysFromNow = (days: number, now = new Date()) => new Date(now.getTime() + days * DAY);

/** A root, an intermediate, and what a test needs to issue leaves under them. */
export async function pki(now = new Date()): Promise<{ root: Issued; intermediate: Issued }> {
  const root = await issue(null, { cn: 'Test Root CA', ca: true, notAfter: daysFromNow(3650, now) }, now);
  const intermediate = await issue(
    root,
    { cn: 'Test Intermediate CA', ca: true, notAfter: daysFromNow(1825, now) },
    now,
  );
  return { root, intermediate };
}
