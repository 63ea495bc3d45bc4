import type { ApiKeyView, CreatedApiKeyView } from './dto/api-key.response';
import type { ApiKey } from './entities/api-key.entity';

export { ApiKeyView, CreatedApiKeyView, RotatedApiKeyView } from './dto/api-key.response';
export type CreatedApiKey = CreatedApiKeyView;

export const SHOWN_ONCE = 'Store this key now: it is shown only once and cannot be recovered.';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function apiKeyView(k: ApiKey): ApiKeyView {
  return {
    id: k.id,
    ownerId: k.ownerId,
    name: k.name,
    prefix: `sk_${k.environment}_${k.keyId}`,
    environment: k.environment,
    status: k.status,
    scopes: k.scopes,
    ipAllowlist: k.ipAllowlist,
    rateLimit: k.rateLimit && k.rateWindowSeconds ? { limit: k.rateLimit, windowSeconds: k.rateWindowSeconds } : null,
    quota:
      k.quotaRemaining === null
        ? null
        : {
            remaining: k.quotaRemaining,
            refill:
              k.quotaRefillAmount && k.quotaRefillInterval
                ? { amount: k.quotaRefillAmount, interval: k.quotaRefillInterval }
                : null,
          },
    createdAt: k.createdAt.toISOString(),
    expiresAt: iso(k.expiresAt),
    graceEndsAt: iso(k.graceEndsAt),
    revokedAt: iso(k.revokedAt),
    revokedReason: k.revokedReason,
    rotatedFrom: k.rotatedFrom,
    rotatedTo: k.rotatedTo,
    lastUsedAt: iso(k.lastUsedAt),
    lastUsedIp: k.lastUsedIp,
    lastUsedIpReportedBy: k.lastUsedIpReportedBy,
  };
}
