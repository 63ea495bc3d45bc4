import type { SchemaParts } from '@app/core';
import { CertificateCheck } from './entities/certificate-check.entity';
import { Certificate } from './entities/certificate.entity';
import { CreateCertificates1763900800000 } from './migrations/1763900800000-CreateCertificates';

export { CertificatesModule } from './certificates.module';
export { CertificatesService } from './certificates.service';
export { CertificateMonitor } from './certificate-monitor';
export type { CheckOutcome } from './certificate-monitor';
export { CertificateCheckJob, CERTIFICATE_CHECK_JOB } from './certificate-check.job';
export { CertificatesErrorCode } from './certificates-error-codes';
export { daysLeft } from './certificate.view';
export { ensureDevCertificates, devCertificatePaths } from './dev-certificates';
export type { DevCertificatesResult, DevCertificatePaths } from './dev-certificates';
export { HostResolver } from './endpoint-policy';
export type { CheckResult, CheckStatus } from './certificate-checks';

export const certificatesSchema: Partial<SchemaParts> = {
  entities: [Certificate, CertificateCheck],
  migrations: [CreateCertificates1763900800000],
  appendOnlyTables: [],
};
