import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Principal } from '../auth/principal';

/** The account being erased: who, the address mail went to, and what replaces their id where history must stay. */
export interface ErasureSubject {
  userId: string;
  email: string;
  /** `erased-` and 16 hex digits; written where a record must stay but must no longer name the person. */
  pseudonym: string;
}

/** Counts or flags a part reports about its erasure; they go into the `account.erase` audit event. */
export type ErasureFacts = Record<string, number | boolean | string>;

/**
 * One bounded context's share of a person's data (GDPR art. 15/17/20). Each context that holds personal data
 * registers its parts with {@link AccountData} (from a small `<lib>.account-data.ts` provider of its module), so
 * export and erasure reach it without the profiles context knowing it exists.
 */
export interface AccountDataPart {
  /** The part's key in the export document (`account`, `apiKeys` …); unique. */
  readonly name: string;
  /**
   * Position in the export document (ascending). Erasure runs the parts in the reverse order: what refers to the
   * account goes before the account itself, which goes last.
   */
  readonly order: number;
  /** The export's own audit event counts this part's items (`details[name] = items.length`). */
  readonly countedInExportAudit?: boolean;
  /** What the caller's export holds for this part (JSON-serialisable). Absent: the part has nothing to export. */
  export?(principal: Principal): Promise<unknown>;
  /** Deletes or pseudonymises the part inside the erasure's one transaction. Absent: nothing to do (e.g. cascades). */
  erase?(subject: ErasureSubject, em: EntityManager): Promise<ErasureFacts | void>;
}

/** The context that holds credentials proves the person is there before an erasure (one is registered: auth). */
export interface AccountOwnerCheck {
  /**
   * Verifies the password (counting failures like a sign-in, under the asking session's device when `sessionId` is
   * given); throws CURRENT_PASSWORD_WRONG. Answers the address.
   */
  confirmPassword(userId: string, password: string, action: string, sessionId?: string): Promise<{ email: string }>;
  /** Where notices to the person go (read in `em` when given); null for an account that no longer exists. */
  mailAddressOf(userId: string, em?: EntityManager): Promise<string | null>;
}

/** Export and erasure across bounded contexts, in a defined order (like CredentialResolvers for sign-in). */
@Injectable()
export class AccountData {
  private readonly parts: AccountDataPart[] = [];
  private ownerCheck?: AccountOwnerCheck;

  register(part: AccountDataPart): void {
    if (this.parts.some((p) => p.name === part.name))
      throw new Error(`account data part ${part.name} registered twice`);
    this.parts.push(part);
    this.parts.sort((a, b) => a.order - b.order);
  }

  registerOwnerCheck(check: AccountOwnerCheck): void {
    if (this.ownerCheck) throw new Error('an account owner check is already registered');
    this.ownerCheck = check;
  }

  /** The registered parts, in export order. */
  list(): readonly AccountDataPart[] {
    return this.parts;
  }

  confirmOwner(userId: string, password: string, action: string, sessionId?: string): Promise<{ email: string }> {
    if (!this.ownerCheck) throw new Error('no account owner check registered (the auth context provides it)');
    return this.ownerCheck.confirmPassword(userId, password, action, sessionId);
  }

  /** Where notices to a user go, for contexts that hold only the user's id (certificate alerts); null if unknown. */
  async mailAddressOf(userId: string, em?: EntityManager): Promise<string | null> {
    return (await this.ownerCheck?.mailAddressOf(userId, em)) ?? null;
  }

  /** Every part's export, one after the other in `order`, keyed by part name in that order. */
  async export(principal: Principal): Promise<Record<string, unknown>> {
    const document: Record<string, unknown> = {};
    for (const part of this.parts) if (part.export) document[part.name] = await part.export(principal);
    return document;
  }

  /** Counts of the parts marked `countedInExportAudit`, for the export's audit event. */
  exportCounts(document: Record<string, unknown>): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const part of this.parts) {
      const value = document[part.name];
      if (part.countedInExportAudit && Array.isArray(value)) counts[part.name] = value.length;
    }
    return counts;
  }

  /** Every part's erasure in the caller's transaction, in reverse `order`; the facts they report, merged. */
  async erase(subject: ErasureSubject, em: EntityManager): Promise<ErasureFacts> {
    const facts: ErasureFacts = {};
    for (const part of [...this.parts].reverse()) if (part.erase) Object.assign(facts, await part.erase(subject, em));
    return facts;
  }
}
