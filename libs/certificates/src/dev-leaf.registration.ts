import { Injectable, Logger } from '@nestjs/common';
import { AppConfig, Clock } from '@app/core';
import { CertificateInspector } from './certificate-inspector';
import { CertificateMonitor } from './certificate-monitor';
import { CertificatesRepository } from './certificates.repository';
import { ensureDevCertificates } from './dev-certificates';

/**
 * In development the service watches its own TLS leaf: the dev CA and `localhost` certificate are made if missing
 * (`DATA_DIR/tls`) and the leaf is in the inventory as the service's entry (no owner; admins see it).
 */
@Injectable()
export class DevLeafRegistration {
  private readonly logger = new Logger('DevCertificates');

  constructor(
    private readonly repo: CertificatesRepository,
    private readonly inspector: CertificateInspector,
    private readonly monitor: CertificateMonitor,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async register(): Promise<string | undefined> {
    try {
      const { paths, createdLeaf } = await ensureDevCertificates(this.config.dataDir, this.clock.now());
      const sourceKey = `file:${paths.cert}`;
      const existing = await this.repo.findBySource(null, sourceKey);
      if (existing) {
        if (createdLeaf) await this.monitor.check(existing.id, 'manual');
        return existing.id;
      }
      const source = {
        sourceType: 'file' as const,
        sourceKey,
        pem: null,
        path: paths.cert,
        host: null,
        port: null,
        servername: null,
        expectedHost: 'localhost',
      };
      const observation = await this.inspector.inspect(source);
      const now = this.clock.now();
      return await this.repo.transaction(async (em) => {
        const row = await this.repo.insert(em, {
          ...source,
          ownerId: null,
          label: 'development TLS leaf (start:tls)',
          alertState: 'OK',
          createdAt: now,
          updatedAt: now,
        });
        await this.monitor.apply(em, row, observation, 'create');
        return row.id;
      });
    } catch (err) {
      // Another instance may have registered it at the same moment; either way the service goes on.
      this.logger.warn({ err }, 'could not register the development certificate');
      return undefined;
    }
  }
}
