import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

/** Why every standing credential of a user is revoked at once (stored as the credential's revocation reason). */
export type RevokeAllReason = 'password_reset' | 'owner' | 'admin';

/** A credential that acts for a user without a session (an API key), named as its owner knows it: never a secret. */
export interface StandingCredential {
  id: string;
  name: string;
  /** The public prefix the owner recognises it by. */
  prefix: string;
  scopes: string[];
}

/** What a bulk revocation did in the caller's transaction. */
export interface RevokedCredentials {
  revoked: StandingCredential[];
  /** Drops this instance's caches: call once the transaction committed (other instances hear it at commit). */
  afterCommit(): void;
}

/**
 * One bounded context's standing credentials (api-keys registers one). Auth calls them through
 * {@link CredentialRevocation} on recovery and password change without importing the context that owns them.
 */
export interface CredentialRevoker {
  /** Unique name (`apiKeys`). */
  readonly name: string;
  /** The user's live credentials (they would be accepted now). */
  listLive(userId: string, em?: EntityManager): Promise<StandingCredential[]>;
  /**
   * Revokes every live credential of the user inside `em` (tombstoned, audited, the owner told where the reason
   * calls for it); answers what it revoked.
   */
  revokeAll(userId: string, reason: RevokeAllReason, em: EntityManager): Promise<RevokedCredentials>;
}

/** The seam between auth (which ends access on recovery) and the contexts that issue standing credentials. */
@Injectable()
export class CredentialRevocation {
  private readonly revokers: CredentialRevoker[] = [];

  register(revoker: CredentialRevoker): void {
    if (this.revokers.some((r) => r.name === revoker.name))
      throw new Error(`credential revoker ${revoker.name} registered twice`);
    this.revokers.push(revoker);
  }

  /** Every registered context's live credentials of the user, in registration order. */
  async listLive(userId: string, em?: EntityManager): Promise<StandingCredential[]> {
    const all: StandingCredential[] = [];
    for (const r of this.revokers) all.push(...(await r.listLive(userId, em)));
    return all;
  }

  /** Revokes in every registered context, in the caller's transaction; a failure fails the whole (rolled back). */
  async revokeAll(userId: string, reason: RevokeAllReason, em: EntityManager): Promise<RevokedCredentials> {
    const outcomes: RevokedCredentials[] = [];
    for (const r of this.revokers) outcomes.push(await r.revokeAll(userId, reason, em));
    return {
      revoked: outcomes.flatMap((o) => o.revoked),
      afterCommit: () => {
        for (const o of outcomes) o.afterCommit();
      },
    };
  }
}
