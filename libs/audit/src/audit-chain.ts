import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export interface ChainedFields {
  id: string;
  occurredAt: Date;
  actorType: string;
  actorId: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  outcome: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
}

/** Chain version 2: the personal fields, salted, as one digest the row hash covers. */
export function piiDigest(
  salt: string,
  row: Pick<ChainedFields, 'actorId' | 'targetId' | 'ip' | 'userAgent' | 'details'>,
): string {
  const body = canonicalJson({
    actorId: row.actorId,
    targetId: row.targetId,
    ip: row.ip,
    userAgent: row.userAgent,
    details: row.details,
  });
  return createHash('sha256').update(salt).update('\n').update(body).digest('hex');
}

/** Version 2 row hash: everything but the personal fields, plus their digest. */
export function chainHashV2(prevHash: string, row: ChainedFields, digest: string): string {
  const body = canonicalJson({
    v: 2,
    id: String(row.id),
    occurredAt: row.occurredAt,
    actorType: row.actorType,
    action: row.action,
    targetType: row.targetType,
    outcome: row.outcome,
    requestId: row.requestId,
    pii: digest,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}

/** Version 1 row hash (rows written before chain version 2). */
export function chainHash(prevHash: string, row: ChainedFields): string {
  const body = canonicalJson({
    id: String(row.id),
    occurredAt: row.occurredAt,
    actorType: row.actorType,
    actorId: row.actorId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    outcome: row.outcome,
    ip: row.ip,
    userAgent: row.userAgent,
    requestId: row.requestId,
    details: row.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
