import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { describe, isSelfSigned, isWeakSignatureAlgorithm, signatureAlgorithmOf } from './certificate-parser';

export const CHECK_STATUSES = ['OK', 'WARN', 'CRITICAL'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];
export const CHECK_NAMES = [
  'retrieval',
  'expiry',
  'validity',
  'hostname',
  'chain',
  'key-strength',
  'signature-algorithm',
  'self-signed',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface CheckResult {
  name: CheckName;
  status: CheckStatus;
  reason: string;
}

export interface CheckOptions {
  now: Date;
  warnDays: number;
  criticalDays: number;
  /** Host or IP the certificate must cover (endpoint sources; optional for others). */
  expectedHost?: string | null;
  /** Trust anchors a chain may end at without carrying its root. */
  anchors: readonly X509Certificate[];
  production: boolean;
  source: 'pem' | 'file' | 'endpoint';
}

const RANK: Record<CheckStatus, number> = { OK: 0, WARN: 1, CRITICAL: 2 };
const STRONG_CURVES = new Set(['prime256v1', 'secp384r1', 'secp521r1']);
const DAY_MS = 86_400_000;

export function statusRank(status: CheckStatus): number {
  return RANK[status];
}

export function worstStatus(results: readonly { status: CheckStatus }[]): CheckStatus {
  return results.reduce<CheckStatus>((w, r) => (RANK[r.status] > RANK[w] ? r.status : w), 'OK');
}

/** Every check over a chain (leaf first). Pure: the clock, the anchors and the thresholds come in. */
export function runChecks(chain: readonly X509Certificate[], o: CheckOptions): CheckResult[] {
  const results = [
    checkExpiry(chain, o),
    checkValidity(chain, o.now),
    checkChain(chain, o.anchors),
    checkKeyStrength(chain),
    checkSignatures(chain),
    checkSelfSigned(chain[0], o),
  ];
  if (o.expectedHost) results.splice(2, 0, checkHostname(chain[0], o.expectedHost));
  return results;
}

function label(cert: X509Certificate, index: number): string {
  return index === 0 ? 'the leaf' : `certificate ${index + 1} (${cert.subject.split('\n').join(', ')})`;
}

export function checkExpiry(
  chain: readonly X509Certificate[],
  o: Pick<CheckOptions, 'now' | 'warnDays' | 'criticalDays'>,
): CheckResult {
  const ends = chain.map((c, i) => ({ i, at: new Date(c.validTo).getTime() }));
  const first = ends.reduce((a, b) => (b.at < a.at ? b : a));
  const days = (first.at - o.now.getTime()) / DAY_MS;
  const who = label(chain[first.i], first.i);
  const date = new Date(first.at).toISOString();
  if (days < 0)
    return { name: 'expiry', status: 'CRITICAL', reason: `${who} expired on ${date} (${Math.ceil(-days)} days ago)` };
  const left = Math.floor(days);
  if (days <= o.criticalDays)
    return {
      name: 'expiry',
      status: 'CRITICAL',
      reason: `${who} expires in ${left} days (${date}); critical at ${o.criticalDays}`,
    };
  if (days <= o.warnDays)
    return {
      name: 'expiry',
      status: 'WARN',
      reason: `${who} expires in ${left} days (${date}); warning at ${o.warnDays}`,
    };
  return { name: 'expiry', status: 'OK', reason: `${who} expires in ${left} days (${date})` };
}

export function checkValidity(chain: readonly X509Certificate[], now: Date): CheckResult {
  const early = chain.findIndex((c) => new Date(c.validFrom).getTime() > now.getTime());
  if (early >= 0)
    return {
      name: 'validity',
      status: 'CRITICAL',
      reason: `${label(chain[early], early)} is not valid before ${new Date(chain[early].validFrom).toISOString()}`,
    };
  return { name: 'validity', status: 'OK', reason: 'every certificate has started its validity period' };
}

export function checkHostname(leaf: X509Certificate, host: string): CheckResult {
  const bare = host.replace(/^\[|\]$/g, '');
  const matched = isIP(bare)
    ? leaf.checkIP(bare)
    : leaf.checkHost(bare, { subject: 'default', wildcards: true, partialWildcards: false });
  if (matched) return { name: 'hostname', status: 'OK', reason: `covers ${bare}` };
  const sans = describe(leaf).subjectAltNames;
  return {
    name: 'hostname',
    status: 'CRITICAL',
    reason: `does not cover ${bare} (names: ${sans.length ? sans.join(', ') : 'none'})`,
  };
}

function signedBy(child: X509Certificate, parent: X509Certificate): boolean {
  if (!child.checkIssued(parent)) return false;
  try {
    return child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

export function checkChain(chain: readonly X509Certificate[], anchors: readonly X509Certificate[]): CheckResult {
  for (let i = 0; i < chain.length - 1; i++) {
    if (!signedBy(chain[i], chain[i + 1])) {
      return {
        name: 'chain',
        status: 'CRITICAL',
        reason: `${label(chain[i], i)} is not signed by the next certificate, ${label(chain[i + 1], i + 1)} (wrong order or wrong intermediate)`,
      };
    }
  }
  const last = chain[chain.length - 1];
  if (isSelfSigned(last))
    return {
      name: 'chain',
      status: 'OK',
      reason:
        chain.length === 1
          ? 'a single self-signed certificate'
          : `complete up to the root ${last.subject.split('\n').join(', ')}`,
    };
  const anchor = anchors.find((a) => signedBy(last, a));
  if (anchor)
    return {
      name: 'chain',
      status: 'OK',
      reason: `complete: ${chain.length} certificate(s), ending at a trusted root (${anchor.subject.split('\n').join(', ')})`,
    };
  return {
    name: 'chain',
    status: 'CRITICAL',
    reason: `incomplete: nothing in the chain or the trust store signed ${label(last, chain.length - 1)}, issued by "${last.issuer.split('\n').join(', ')}" (missing intermediate?)`,
  };
}

export function keyWeakness(cert: X509Certificate): string | undefined {
  const key = cert.publicKey;
  const type = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  if (type === 'rsa' || type === 'rsa-pss')
    return (d.modulusLength ?? 0) < 2048 ? `RSA-${d.modulusLength ?? '?'} (needs at least 2048 bits)` : undefined;
  if (type === 'ec')
    return STRONG_CURVES.has(d.namedCurve ?? '')
      ? undefined
      : `EC curve ${d.namedCurve ?? '?'} (needs P-256 or stronger)`;
  if (type === 'ed25519' || type === 'ed448') return undefined;
  return `${type ?? 'unknown'} keys are not accepted`;
}

export function checkKeyStrength(chain: readonly X509Certificate[]): CheckResult {
  for (let i = 0; i < chain.length; i++) {
    const weak = keyWeakness(chain[i]);
    if (weak)
      return { name: 'key-strength', status: 'CRITICAL', reason: `${label(chain[i], i)} has a weak key: ${weak}` };
  }
  const leaf = describe(chain[0]);
  return {
    name: 'key-strength',
    status: 'OK',
    reason: `${leaf.keyType}${leaf.keyBits ? `-${leaf.keyBits}` : ''}${leaf.keyCurve ? ` ${leaf.keyCurve}` : ''}`,
  };
}

export function checkSignatures(chain: readonly X509Certificate[]): CheckResult {
  for (let i = 0; i < chain.length; i++) {
    // A signature on itself is relied on by no one (a root, or a self-signed leaf, is trusted by being configured,
    // which the self-signed check judges), so a SHA-1 self-signature is not judged (CA/B Forum practice).
    if (isSelfSigned(chain[i])) continue;
    const alg = signatureAlgorithmOf(chain[i].raw);
    if (isWeakSignatureAlgorithm(alg))
      return {
        name: 'signature-algorithm',
        status: 'CRITICAL',
        reason: `${label(chain[i], i)} is signed with ${alg} (collision-prone hash)`,
      };
  }
  const alg = signatureAlgorithmOf(chain[0].raw);
  return {
    name: 'signature-algorithm',
    status: 'OK',
    reason: chain.length === 1 && isSelfSigned(chain[0]) ? `${alg} (a self-signature, not judged)` : alg,
  };
}

/**
 * A self-signed certificate vouches for nothing: it is acceptable only when it is one of the configured trust anchors
 * (public roots, CERT_EXTRA_CA_FILE, the dev CA), whatever its CA flag says (`openssl req -x509` sets CA:TRUE).
 */
export function checkSelfSigned(leaf: X509Certificate, o: Pick<CheckOptions, 'production' | 'anchors'>): CheckResult {
  if (!isSelfSigned(leaf)) return { name: 'self-signed', status: 'OK', reason: 'issued by a CA' };
  if (o.anchors.some((a) => a.fingerprint256 === leaf.fingerprint256))
    return { name: 'self-signed', status: 'OK', reason: 'a configured trust anchor (not a server certificate)' };
  return o.production
    ? {
        name: 'self-signed',
        status: 'CRITICAL',
        reason: 'self-signed and not a configured trust anchor, in production (clients cannot verify it)',
      }
    : {
        name: 'self-signed',
        status: 'WARN',
        reason: 'self-signed and not a configured trust anchor (acceptable only outside production)',
      };
}
