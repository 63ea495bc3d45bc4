import { Injectable, OnModuleInit } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { AppConfig, ChangeFeed, Clock, JobScheduler } from '@app/core';
import { apiKeyMails } from './api-keys.mails';
import { ApiKeysRepository } from './api-keys.repository';
import type { ApiKey } from './entities/api-key.entity';
import { ApiKeysService, KEY_TOPIC } from './api-keys.service';
import { UsageRecorder } from './usage/usage-recorder';

const WARN_DAYS = 7;

export interface JobRun {
  expired: number;
  graceEnded: number;
  warned: number;
}

/**
 * Scheduled key housekeeping (every `API_KEY_JOBS_INTERVAL_MS`, through the shared scheduler: one instance per
 * period): mark expired keys, revoke rotated keys whose grace ended, and queue one expiry warning per key 7 days ahead
 * (mail and webhook through the outbox). Verification never waits for these: an expired key is refused on its next
 * request regardless. Rows are claimed with SKIP LOCKED, so even overlapping runs never double a warning.
 */
@Injectable()
export class ApiKeyJobs implements OnModuleInit {
  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly keys: ApiKeysService,
    private readonly audit: AuditService,
    private readonly changes: ChangeFeed,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly scheduler: JobScheduler,
  ) {
    usage.onNetworks((seen) => this.recordNetworks(seen));
  }

  onModuleInit(): void {
    const everyMs = this.config.env.API_KEY_JOBS_INTERVAL_MS;
    this.scheduler.register({ name: 'api-keys.expire', everyMs, run: async () => ({ expired: await this.expire() }) });
    this.scheduler.register({
      name: 'api-keys.grace-end',
      everyMs,
      run: async () => ({ graceEnded: await this.endGracePeriods() }),
    });
    this.scheduler.register({
      name: 'api-keys.expiry-warnings',
      everyMs,
      run: async () => ({ warned: await this.warnExpiring() }),
    });
  }

  async runAll(): Promise<JobRun> {
    return {
      expired: await this.expire(),
      graceEnded: await this.endGracePeriods(),
      warned: await this.warnExpiring(),
    };
  }

  expire(): Promise<number> {
    return this.transition('expire', 'api_key.expire', (now) => ({ status: 'expired', updatedAt: now }));
  }

  endGracePeriods(): Promise<number> {
    return this.transition('grace-end', 'api_key.grace_end', (now) => ({
      status: 'revoked',
      revokedAt: now,
      revokedReason: 'rotated',
      updatedAt: now,
    }));
  }

  /** Moves every due key to a new state in one transaction (audited, announced), then drops it from local caches. */
  private async transition(
    kind: 'expire' | 'grace-end',
    action: string,
    changes: (now: Date) => Partial<ApiKey>,
  ): Promise<number> {
    const now = this.clock.now();
    const ids = await this.repo.transaction(async (em) => {
      const due = await this.repo.due(em, kind, now);
      for (const k of due) {
        await this.repo.update(em, k.id, changes(now));
        await this.audit.record(
          {
            action,
            outcome: 'success',
            actorType: 'system',
            targetType: 'api_key',
            targetId: k.id,
            details: { keyId: k.keyId, successor: k.rotatedTo ?? undefined },
          },
          em,
        );
        await this.changes.publish(em, KEY_TOPIC, k.id);
      }
      return due.map((k) => k.id);
    });
    ids.forEach((id) => this.changes.emitLocal(KEY_TOPIC, id));
    return ids.length;
  }

  async warnExpiring(): Promise<number> {
    const now = this.clock.now();
    return this.repo.transaction(async (em) => {
      const due = await this.repo.due(em, 'expiry-warning', now, new Date(now.getTime() + WARN_DAYS * 86_400_000));
      for (const k of due) {
        const when = k.expiresAt!.toISOString();
        await this.keys.notifyOwner(em, k, 'api_key.expiring', apiKeyMails.expiring(k, when), { expiresAt: when });
        await this.repo.update(em, k.id, { expiryWarnedAt: now });
        await this.audit.record(
          {
            action: 'api_key.expiry_warning',
            outcome: 'success',
            actorType: 'system',
            targetType: 'api_key',
            targetId: k.id,
            details: { keyId: k.keyId, expiresAt: when },
          },
          em,
        );
      }
      return due.length;
    });
  }

  /** New networks from the usage recorder: recorded, and for keys used elsewhere before, audited and notified once. */
  private async recordNetworks(seen: { keyId: string; network: string; at: Date }[]): Promise<void> {
    await this.repo.transaction(async (em) => {
      const fresh = await this.repo.addNetworks(em, seen);
      for (const { keyId, network } of fresh) {
        const key = await this.repo.findById(keyId, em);
        if (!key) continue;
        await this.audit.record(
          {
            action: 'api_key.new_network',
            outcome: 'success',
            actorType: 'system',
            targetType: 'api_key',
            targetId: key.id,
            ip: null,
            details: { keyId: key.keyId, network },
          },
          em,
        );
        await this.keys.notifyOwner(em, key, 'api_key.new_network', apiKeyMails.newNetwork(key, network), { network });
      }
    });
  }
}
