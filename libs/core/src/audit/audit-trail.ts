import type { EntityManager } from 'typeorm';

export const AUDIT_OUTCOMES = ['success', 'failure', 'denied'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
export const AUDIT_ACTOR_TYPES = ['user', 'api_key', 'system', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

/** One event for the audit log, as any context describes it. */
export interface AuditRecord {
  action: string;
  outcome: AuditOutcome;
  actorType?: AuditActorType;
  actorId?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
  /** Defaults to the current request's values. */
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

/**
 * Where a context writes audit events without depending on the audit context (libs/audit provides it, globally).
 * Pass the EntityManager of the transaction that makes the change being recorded, so both commit or roll back together.
 */
export abstract class AuditTrail {
  abstract record(entry: AuditRecord, manager?: EntityManager): Promise<unknown>;
}
