import 'reflect-metadata';
import type * as X509 from '@peculiar/x509';
import { X509Certificate, webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

let library: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509 (about 200 ms to load) is needed only to make development certificates: it is loaded on first use,
 * not at every start of the service and the CLI.
 */
function loadX509(): Promise<typeof X509> {
  library ??= import('@peculiar/x509').then((x509) => {
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
    return x509;
  });
  return library;
}

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** A leaf with less than this left is replaced on the next run. */
const RENEW_BEFORE_DAYS = 30;

export interface DevCertificatePaths {
  dir: string;
  caCert: string;
  caKey: string;
  cert: string;
  key: string;
}

export function devCertificatePaths(dataDir: string): DevCertificatePaths {
  const dir = join(dataDir, 'tls');
  return {
    dir,
    caCert: join(dir, 'dev-ca.pem'),
    caKey: join(dir, 'dev-ca-key.pem'),
    cert: join(dir, 'localhost.pem'),
    key: join(dir, 'localhost-key.pem'),
  };
}

export interface DevCertificatesResult {
  paths: DevCertificatePaths;
  createdCa: boolean;
  createdLeaf: boolean;
  leafNotAfter: string;
  leafFingerprint: string;
}

function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  bytes[0] |= 0x01; // and without a leading zero byte
  return Buffer.from(bytes).toString('hex');
}

function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

async function exportKeyPem(x509: typeof X509, key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY') + '\n';
}

function leafUsable(paths: DevCertificatePaths, ca: X509Certificate, now: Date): boolean {
  if (!existsSync(paths.cert) || !existsSync(paths.key)) return false;
  try {
    const leaf = new X509Certificate(readFileSync(paths.cert));
    return (
      leaf.checkIssued(ca) &&
      leaf.verify(ca.publicKey) &&
      new Date(leaf.validTo).getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS
    );
  } catch {
    return false;
  }
}

/**
 * A local CA and a `localhost` / `127.0.0.1` / `::1` server certificate signed by it (ECDSA P-256, SHA-256), for
 * nginx in development. Keys are written 0600 in a 0700 directory. An existing CA is kept (browsers that trust it
 * go on trusting it); the leaf is replaced when missing, not signed by that CA, or within 30 days of expiry.
 */
export async function ensureDevCertificates(dataDir: string, now = new Date()): Promise<DevCertificatesResult> {
  const x509 = await loadX509();
  const paths = devCertificatePaths(dataDir);
  mkdirSync(dataDir, { recursive: true }); // DATA_DIR itself stays traversable (embedded PostgreSQL runs as another user)
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);

  let createdCa = false;
  let caKeys: CryptoKeyPair;
  let caCert: X509.X509Certificate;
  if (existsSync(paths.caCert) && existsSync(paths.caKey)) {
    caCert = new x509.X509Certificate(readFileSync(paths.caCert, 'utf8'));
    const privateKey = await webcrypto.subtle.importKey(
      'pkcs8',
      x509.PemConverter.decodeFirst(readFileSync(paths.caKey, 'utf8')),
      EC,
      true,
      ['sign'],
    );
    caKeys = { privateKey, publicKey: await caCert.publicKey.export(EC, ['verify']) } as CryptoKeyPair;
  } else {
    caKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const name = 'CN=Security Backend Development CA, O=security-backend (development only)';
    caCert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name,
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter: new Date(now.getTime() + 5 * 365 * DAY_MS),
      signingAlgorithm: SIGNING,
      keys: caKeys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    writeFileSync(paths.caCert, caCert.toString('pem') + '\n', { mode: 0o644 });
    writePrivate(paths.caKey, await exportKeyPem(x509, caKeys.privateKey));
    createdCa = true;
  }

  const caNode = new X509Certificate(caCert.toString('pem'));
  let createdLeaf = false;
  if (createdCa || !leafUsable(paths, caNode, now)) {
    const leafKeys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=localhost',
      issuer: caCert.subject,
      notBefore: new Date(now.getTime() - DAY_MS),
      notAfter: new Date(now.getTime() + 365 * DAY_MS),
      signingAlgorithm: SIGNING,
      publicKey: leafKeys.publicKey,
      signingKey: caKeys.privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          { type: 'dns', value: 'localhost' },
          { type: 'ip', value: '127.0.0.1' },
          { type: 'ip', value: '::1' },
        ]),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
      ],
    });
    writePrivate(paths.key, await exportKeyPem(x509, leafKeys.privateKey));
    writeFileSync(paths.cert, leaf.toString('pem') + '\n', { mode: 0o644 });
    createdLeaf = true;
  }
  const leaf = new X509Certificate(readFileSync(paths.cert));
  return {
    paths,
    createdCa,
    createdLeaf,
    leafNotAfter: new Date(leaf.validTo).toISOString(),
    leafFingerprint: leaf.fingerprint256,
  };
}
