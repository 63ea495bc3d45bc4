import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Clock, MetricsService } from '@app/core';
import { CertificatesRepository } from './certificates.repository';

type Row = Awaited<ReturnType<CertificatesRepository['gaugeRows']>>[number];
const STATUS_VALUE = { OK: 0, WARN: 1, CRITICAL: 2 } as const;

/**
 * `certificate_expiry_seconds{id,subject,source}` (negative once expired) and `certificate_check_status` (0 OK, 1 WARN,
 * 2 CRITICAL) on `/metrics`, read from the database at scrape time so every instance reports the same inventory.
 */
@Injectable()
export class CertificateMetrics implements OnModuleInit {
  private snapshot?: { at: number; rows: Promise<Row[]> };

  constructor(
    private readonly metrics: MetricsService,
    private readonly repo: CertificatesRepository,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    const rows = () => this.rows();
    const clock = this.clock;
    const labels = (r: Row) => ({ id: r.id, subject: (r.subject ?? '').slice(0, 200), source: r.source });
    new Gauge({
      name: 'certificate_expiry_seconds',
      help: 'Seconds until the certificate (leaf or earliest-expiring in its chain) expires; negative when expired',
      labelNames: ['id', 'subject', 'source'],
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        const now = clock.nowMs();
        for (const r of await rows())
          if (r.notAfter) this.set(labels(r), Math.round((new Date(r.notAfter).getTime() - now) / 1000));
      },
    });
    new Gauge({
      name: 'certificate_check_status',
      help: 'Latest check status: 0 OK, 1 WARN, 2 CRITICAL',
      labelNames: ['id', 'subject', 'source'],
      registers: [this.metrics.registry],
      async collect() {
        this.reset();
        for (const r of await rows()) if (r.status) this.set(labels(r), STATUS_VALUE[r.status]);
      },
    });
  }

  /** One query serves both gauges of a scrape. */
  private rows(): Promise<Row[]> {
    const now = this.clock.nowMs();
    if (!this.snapshot || now - this.snapshot.at > 1000) {
      this.snapshot = { at: now, rows: this.repo.gaugeRows().catch(() => []) };
    }
    return this.snapshot.rows;
  }
}
