import type { CertificateDetailView, CertificateView } from './dto/certificate.response';
import type { CertificateCheck } from './entities/certificate-check.entity';
import type { Certificate } from './entities/certificate.entity';

export { CertificateDetailView, CertificateView } from './dto/certificate.response';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** Whole days until `notAfter` (negative once expired), as the list, the alerts and the CLI show them. */
export function daysLeft(notAfter: Date, now: Date): number {
  return Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000);
}

export function toView(c: Certificate, now: Date): CertificateView {
  const source: CertificateView['source'] =
    c.sourceType === 'endpoint'
      ? { type: 'endpoint', host: c.host!, port: c.port!, servername: c.servername }
      : c.sourceType === 'file'
        ? { type: 'file', path: c.path! }
        : { type: 'pem' };
  return {
    id: c.id,
    label: c.label,
    source,
    expectedHost: c.expectedHost,
    status: c.status,
    statusReason: c.statusReason,
    subject: c.subject,
    notAfter: iso(c.notAfter),
    daysLeft: c.notAfter ? daysLeft(c.notAfter, now) : null,
    fingerprintSha256: c.fingerprintSha256,
    lastCheckedAt: iso(c.lastCheckedAt),
    createdAt: c.createdAt.toISOString(),
    managedBy: c.ownerId ? 'user' : 'service',
  };
}

export function toDetailView(c: Certificate, checks: CertificateCheck[], now: Date): CertificateDetailView {
  return {
    ...toView(c, now),
    chain: c.chain,
    pem: c.pem,
    checks: checks.map((k) => ({
      checkedAt: k.checkedAt.toISOString(),
      trigger: k.trigger,
      status: k.status,
      fingerprintSha256: k.fingerprintSha256,
      protocol: k.protocol,
      cipher: k.cipher,
      results: k.results,
    })),
  };
}
