import { Injectable, OnModuleInit } from '@nestjs/common';
import { AppConfig, Clock, JobCounts, JobScheduler } from '@app/core';
import { GENESIS_HASH } from './audit-chain';
import { AuditRepository } from './audit.repository';
import { rowIntact } from './audit.service';

export const AUDIT_RETENTION_JOB = 'audit.retention';
/** Events verified and deleted per checkpoint (one transaction each). */
export const RETENTION_BATCH = 5000;
const DAY_MS = 86_400_000;

/**
 * Deletes audit events older than AUDIT_RETENTION_DAYS without losing the chain: batch by batch, from the oldest, it
 * verifies the expired prefix (each row links to the one before, starting at the newest checkpoint, and matches its
 * hash), then `audit_purge_through` records a checkpoint with the last deleted sequence and hash and deletes the
 * prefix in one transaction. A broken chain stops the purge (the job fails, nothing is deleted), so a checkpoint never
 * vouches for tampered rows. 0 keeps everything.
 */
@Injectable()
export class AuditRetention implements OnModuleInit {
  constructor(
    private readonly repo: AuditRepository,
    private readonly scheduler: JobScheduler,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.scheduler.register({ name: AUDIT_RETENTION_JOB, everyMs: 3_600_000, run: () => this.purge() });
  }

  async purge(batchSize = RETENTION_BATCH): Promise<JobCounts> {
    const days = this.config.env.AUDIT_RETENTION_DAYS;
    if (!days) return { deleted: 0, checkpoints: 0 };
    const cutoff = new Date(this.clock.nowMs() - days * DAY_MS);
    let deleted = 0;
    let checkpoints = 0;
    for (;;) {
      const cp = await this.repo.latestCheckpoint();
      let expectedPrev = cp?.lastHash ?? GENESIS_HASH;
      const rows = await this.repo.page(cp?.lastId ?? '0', batchSize);
      // The expired prefix: up to the first event that is not older than the cutoff (the chain is deleted in order).
      const young = rows.findIndex((r) => r.occurredAt >= cutoff);
      const expired = young < 0 ? rows : rows.slice(0, young);
      if (!expired.length) break;
      for (const row of expired) {
        if (row.prevHash !== expectedPrev || !rowIntact(row))
          throw new Error(`audit chain broken at event ${row.id}: nothing purged from there (run audit:verify)`);
        expectedPrev = row.hash;
      }
      const last = expired[expired.length - 1];
      deleted += await this.repo.purgeThrough(last.id, last.hash, cutoff);
      checkpoints++;
      if (expired.length < rows.length || rows.length < batchSize) break;
    }
    return { deleted, checkpoints };
  }
}
