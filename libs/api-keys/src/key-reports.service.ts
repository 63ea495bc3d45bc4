import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit';
import { ADMIN_SCOPE, Clock, Principal } from '@app/core';
import { apiKeyView } from './api-key.view';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyHygieneReportView, ApiKeyUsageDayView, ApiKeyUsageView } from './dto/key-usage.response';
import { UsageRecorder } from './usage/usage-recorder';

const DAY_MS = 86_400_000;

export type KeyUsage = ApiKeyUsageView;
export type HygieneReport = ApiKeyHygieneReportView;

@Injectable()
export class KeyReportsService {
  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly keys: ApiKeysService,
    private readonly usage: UsageRecorder,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Totals, outcome and day counts for the last 30 days and the key's audit trail (newest first). */
  async usageOf(principal: Principal, id: string, page: { limit?: number; cursor?: string }): Promise<ApiKeyUsageView> {
    await this.keys.visible(principal, id);
    await this.usage.flush(); // this instance's unwritten counts first, so the answer includes them
    const key = await this.keys.visible(principal, id);
    const since = new Date(this.clock.nowMs() - 29 * DAY_MS).toISOString().slice(0, 10);
    const rows = await this.repo.dailyCounts(id, since);
    const byOutcome: Record<string, number> = {};
    const days = new Map<string, ApiKeyUsageDayView>();
    for (const r of rows) {
      const n = Number(r.count);
      byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + n;
      const d = days.get(r.day) ?? { day: r.day, total: 0, byOutcome: {} };
      d.total += n;
      d.byOutcome[r.outcome] = n;
      days.set(r.day, d);
    }
    const total = Object.values(byOutcome).reduce((a, b) => a + b, 0);
    return {
      keyId: key.id,
      totalRequests: key.totalRequests,
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: key.lastUsedIp,
      lastUsedIpReportedBy: key.lastUsedIpReportedBy,
      successRate: total ? Math.round(((byOutcome.VALID ?? 0) / total) * 10_000) / 10_000 : null,
      byOutcome,
      byDay: [...days.values()],
      recentEvents: await this.audit.listForTarget('api_key', id, page.limit ?? 20, page.cursor),
    };
  }

  /** Keys worth a look: no expiry, unused for 30+ days, holding admin:all, expiring within 7 days, in grace. */
  async hygiene(): Promise<ApiKeyHygieneReportView> {
    const now = this.clock.nowMs();
    const keys = await this.repo.hygiene(new Date(now), new Date(now - 30 * DAY_MS), new Date(now + 7 * DAY_MS));
    const report: ApiKeyHygieneReportView = {
      generatedAt: new Date(now).toISOString(),
      counts: {},
      withoutExpiry: [],
      unused30Days: [],
      holdingAdminAll: [],
      expiringWithin7Days: [],
      inGracePeriod: [],
    };
    for (const k of keys) {
      const v = apiKeyView(k);
      if (!k.expiresAt) report.withoutExpiry.push(v);
      if ((k.lastUsedAt ?? k.createdAt).getTime() < now - 30 * DAY_MS) report.unused30Days.push(v);
      if (k.scopes.includes(ADMIN_SCOPE)) report.holdingAdminAll.push(v);
      if (k.expiresAt && k.expiresAt.getTime() < now + 7 * DAY_MS) report.expiringWithin7Days.push(v);
      if (k.status === 'rotating') report.inGracePeriod.push(v);
    }
    for (const [name, list] of Object.entries(report)) if (Array.isArray(list)) report.counts[name] = list.length;
    return report;
  }
}
