import { CertificatesAccountCounter } from './certificates.account-counter';
import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { NotificationsModule } from '@app/notifications';
import { CertificateAlerts } from './certificate-alerts';
import { CertificateCheckJob } from './certificate-check.job';
import { CertificateFiles } from './certificate-files';
import { CertificateInspector, TrustAnchors } from './certificate-inspector';
import { CertificateMetrics } from './certificate-metrics';
import { CertificateMonitor } from './certificate-monitor';
import { CertificatesController } from './certificates.controller';
import { CertificatesRepository } from './certificates.repository';
import { CertificatesService } from './certificates.service';
import { DevLeafRegistration } from './dev-leaf.registration';
import { DnsHostResolver, EndpointPolicy, HostResolver } from './endpoint-policy';
import { TlsProber } from './tls-prober';

@Module({
  imports: [AuditModule, NotificationsModule],
  controllers: [CertificatesController],
  providers: [
    CertificatesRepository,
    CertificatesService,
    CertificateFiles,
    { provide: HostResolver, useClass: DnsHostResolver },
    EndpointPolicy,
    TlsProber,
    TrustAnchors,
    CertificateInspector,
    CertificateAlerts,
    CertificateMonitor,
    CertificateCheckJob,
    CertificateMetrics,
    DevLeafRegistration,
    CertificatesAccountCounter,
  ],
  exports: [CertificatesService, CertificateMonitor, CertificateCheckJob, DevLeafRegistration],
})
export class CertificatesModule {}
