import type { SchemaParts } from '@app/core';
import { CertificateCheck } from './entities/certificate-check.entity';
import { Certificate } from './entities/certificate.entity';
import { CreateCertificates1763900800000 } from './migrations/1763900800000-CreateCertificates';

export { CertificatesModule } from './certificates.module';
export { CertificateMonitor } from './certificate-monitor';
export { CertificateCheckJob, CERTIFICATE_CHECK_JOB } from './certificate-check.job';
export { daysLeft } from './certificate.view';
export { ensureDevCertificates } from './dev-certificates';

export const certificatesSchema: Partial<SchemaParts> = {
  entities: [Certificate, CertificateCheck],
  migrations: [CreateCertificates1763900800000],
  appendOnlyTables: [],
};
