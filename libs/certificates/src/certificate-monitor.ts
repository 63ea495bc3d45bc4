import { Injectable } from '@nestjs/common';
import { AppConfig, Clock, JobCounts } from '@app/core';
import type { EntityManager } from 'typeorm';
import { AlertKind, CertificateAlerts, decideAlert } from './certificate-alerts';
import { CertificateInspector, Observation } from './certificate-inspector';
import { describe } from './certificate-parser';
import { CertificatesRepository } from './certificates.repository';
import type { CheckTrigger } from './entities/certificate-check.entity';
import type { Certificate } from './entities/certificate.entity';

/** Checks kept per certificate; older ones are pruned as new ones arrive. */
export const CHECK_HISTORY = 100;
const BATCH = 200;

export interface CheckOutcome {
  row: Certificate;
  observation: Observation;
  alert?: AlertKind;
}

/** Looks at certificates and records what it saw: check history, the row's summary, and deduplicated alerts. */
@Injectable()
export class CertificateMonitor {
  constructor(
    private readonly repo: CertificatesRepository,
    private readonly inspector: CertificateInspector,
    private readonly alerts: CertificateAlerts,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  /** Checks one certificate now; undefined if it was deleted meanwhile. */
  async check(id: string, trigger: CheckTrigger): Promise<CheckOutcome | undefined> {
    const row = await this.repo.findById(id);
    if (!row) return undefined;
    const startedAt = this.clock.now();
    const observation = await this.inspector.inspect(row);
    let afterCommit: (() => void) | undefined;
    const outcome = await this.repo.transaction(async (em) => {
      const locked = await this.repo.findForUpdate(em, id);
      if (!locked) return undefined;
      // Another check that started later has already been recorded (a manual one racing the daily one): applying this
      // older observation would move the alert state backwards and report a renewal twice.
      if (locked.lastCheckedAt && locked.lastCheckedAt > startedAt) return { row: locked, observation };
      const applied = await this.apply(em, locked, observation, trigger);
      afterCommit = applied.afterCommit;
      return applied.outcome;
    });
    afterCommit?.();
    return outcome;
  }

  /** Records an observation on a row the caller holds locked (or has just inserted) in its transaction. */
  async apply(
    em: EntityManager,
    row: Certificate,
    observation: Observation,
    trigger: CheckTrigger,
  ): Promise<{ outcome: CheckOutcome; afterCommit?: () => void }> {
    const now = this.clock.now();
    const decision = decideAlert(row, observation);
    const problem = observation.results.find((r) => r.status === observation.status && r.status !== 'OK');
    const leaf = observation.chain?.[0];
    const changes: Partial<Certificate> = {
      status: observation.status,
      statusReason: problem ? `${problem.name}: ${problem.reason}` : 'all checks passed',
      lastCheckedAt: now,
      alertState: decision.nextState,
      updatedAt: now,
      ...(observation.chain && leaf
        ? {
            fingerprintSha256: leaf.fingerprint256,
            subject: describe(leaf).subject,
            notAfter: new Date(leaf.validTo),
            chain: observation.chain.map(describe),
          }
        : {}),
    };
    // The alert compares against the row as it was; the row is updated after.
    const afterCommit = decision.kind ? await this.alerts.raise(em, row, observation, decision, now) : undefined;
    await this.repo.addCheck(em, {
      certificateId: row.id,
      checkedAt: now,
      trigger,
      status: observation.status,
      results: observation.results,
      fingerprintSha256: leaf?.fingerprint256 ?? null,
      protocol: observation.protocol,
      cipher: observation.cipher,
    });
    await this.repo.update(em, row.id, changes);
    await this.repo.pruneChecks(em, row.id, CHECK_HISTORY);
    Object.assign(row, changes);
    return { outcome: { row, observation, alert: decision.kind }, afterCommit };
  }

  /** Every certificate, `CERT_CHECK_CONCURRENCY` at a time; one failing check never stops the others. */
  async checkAll(
    trigger: CheckTrigger,
    onProgress?: (done: number, total: number, outcome?: CheckOutcome) => void,
  ): Promise<JobCounts> {
    const counts = { checked: 0, ok: 0, warn: 0, critical: 0, alerts: 0, failed: 0 };
    // Entries added during the run are checked too, so the total can grow.
    let total = onProgress ? await this.repo.countAll() : 0;
    const width = this.config.env.CERT_CHECK_CONCURRENCY;
    let after: string | null = null;
    for (;;) {
      const ids = await this.repo.idsAfter(after, BATCH);
      if (!ids.length) break;
      after = ids[ids.length - 1];
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const id = ids[next++];
          let outcome: CheckOutcome | undefined;
          try {
            outcome = await this.check(id, trigger);
          } catch {
            counts.failed++;
          }
          if (outcome) {
            counts.checked++;
            counts[outcome.row.status === 'OK' ? 'ok' : outcome.row.status === 'WARN' ? 'warn' : 'critical']++;
            if (outcome.alert) counts.alerts++;
          }
          const done = counts.checked + counts.failed;
          total = Math.max(total, done);
          onProgress?.(done, total, outcome);
        }
      };
      await Promise.all(Array.from({ length: Math.min(width, ids.length) }, worker));
    }
    return counts;
  }
}
