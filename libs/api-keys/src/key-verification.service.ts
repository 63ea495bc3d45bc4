import { Injectable } from '@nestjs/common';
import { AccessRules, Clock, Principal } from '@app/core';
import { VerifyKeyDto } from './dto/api-key.dto';
import { KeyVerificationView } from './dto/key-verification.response';
import { KeyVerifier } from './key-verifier';

export type VerifyAnswer = KeyVerificationView;

/**
 * Verification for other services (Unkey-style): the answer is data, not an error. Details of the key are given only
 * when the presented secret matched, so the endpoint cannot be used to probe key ids.
 */
@Injectable()
export class KeyVerificationService {
  constructor(
    private readonly verifier: KeyVerifier,
    private readonly clock: Clock,
  ) {}

  /**
   * `ip` is the address the calling service saw; a key with an allowlist fails closed (FORBIDDEN_IP) without it. It
   * is recorded as reported by the caller, never as a sighting of the service's own. `cost` is the quota to spend.
   */
  async verify(
    { key, requiredScopes = [], ip, cost }: VerifyKeyDto,
    caller: Pick<Principal, 'kind' | 'userId' | 'keyId'>,
  ): Promise<KeyVerificationView> {
    const reportedBy = caller.keyId ? `key:${caller.keyId}` : `user:${caller.userId}`;
    const v = await this.verifier.verify(key, ip, AccessRules.principal(requiredScopes), { cost, reportedBy });
    const k = v.key;
    return {
      valid: v.code === 'VALID',
      code: v.code,
      keyId: k?.id ?? null,
      ownerId: k?.ownerId ?? null,
      environment: k?.environment ?? null,
      scopes: k ? v.scopes : [],
      expiresAt: k?.expiresAt?.toISOString() ?? null,
      ratelimit: v.ratelimit
        ? {
            limit: v.ratelimit.limit,
            remaining: v.ratelimit.remaining,
            reset: this.clock.nowMs() + v.ratelimit.resetMs,
          }
        : null,
      quotaRemaining: v.quotaRemaining ?? null,
    };
  }
}
