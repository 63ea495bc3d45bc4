import { Injectable } from '@nestjs/common';
import { CryptoService } from '@app/crypto';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { CoreErrorCode, CoreException } from '../errors/core-error-codes';

/** A sort value as a cursor carries it: timestamps as ISO strings, text, numbers, or null (a nullable column). */
export type SortValue = string | number | null;

/** Where a page ended: the sort value and id of its last row. The next page starts strictly after it. */
export interface KeysetPosition {
  value: SortValue;
  id: string;
}

/**
 * HMAC purpose of list cursors: its own HKDF subkey (`hmac|list-cursor`), so a cursor MAC can never stand in for any
 * other MAC the product computes, and a client cannot forge or move a position.
 */
export const CURSOR_HMAC_PURPOSE = 'list-cursor';

const INVALID = () =>
  new CoreException(
    CoreErrorCode.INVALID_CURSOR,
    'The cursor is not one this list issued (tampered, from another list or filter, or under a retired key); start again without it.',
  );

const isSortValue = (v: unknown): v is SortValue =>
  v === null || (typeof v === 'string' && v.length <= 512) || (typeof v === 'number' && Number.isFinite(v));

/**
 * Opaque keyset cursors: `base64url(JSON [value, id]) . v<key version>.<HMAC>`. The MAC covers the list, its sort and
 * the caller's filter binding (the `context`), so a cursor only continues the listing it came from; anything else —
 * unreadable, tampered, another list's, another filter's — is refused with 400 INVALID_CURSOR, never silently reset.
 * Cursors verify under every key version the keyring still decrypts with, so a key rotation keeps them working.
 */
@Injectable()
export class CursorCodec {
  constructor(private readonly crypto: CryptoService) {}

  encode(context: string, position: KeysetPosition): string {
    const body = Buffer.from(JSON.stringify([position.value, position.id]), 'utf8').toString('base64url');
    return `${body}.${this.crypto.hmac(CURSOR_HMAC_PURPOSE, context, Buffer.from(body, 'ascii'))}`;
  }

  /** The position a cursor stands for (undefined without one); 400 INVALID_CURSOR for anything not issued here. */
  decode(context: string, cursor: string | undefined): KeysetPosition | undefined {
    if (cursor === undefined) return undefined;
    const m = /^([A-Za-z0-9_-]{1,1024})\.(v\d{1,6}\.[A-Za-z0-9_-]{43})$/.exec(cursor);
    if (!m || !this.crypto.verifyHmac(CURSOR_HMAC_PURPOSE, context, Buffer.from(m[1], 'ascii'), m[2])) throw INVALID();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8'));
    } catch {
      throw INVALID();
    }
    if (!Array.isArray(parsed) || parsed.length !== 2 || !isSortValue(parsed[0]) || typeof parsed[1] !== 'string')
      throw INVALID();
    return { value: parsed[0], id: parsed[1] };
  }

  /**
   * A page from `limit + 1` rows: the first `limit`, and a cursor after the last of them when there were more.
   * `position` reads a row's sort value and id.
   */
  page<R, V>(
    context: string,
    rows: R[],
    limit: number,
    position: (row: R) => KeysetPosition,
    view: (row: R) => V,
  ): { items: V[]; nextCursor: string | null } {
    const kept = rows.slice(0, limit);
    return {
      items: kept.map(view),
      nextCursor: rows.length > limit ? this.encode(context, position(kept[kept.length - 1])) : null,
    };
  }
}

/** A cursor's view of a sort value: dates as ISO strings. */
export function sortValue(v: Date | string | number | null | undefined): SortValue {
  if (v === null || v === undefined) return null;
  // Not `instanceof`: a Date from another realm (a structured clone, a VM context) is a Date all the same.
  return typeof v === 'object' ? v.toISOString() : v;
}

export interface KeysetOrder {
  /** Sort column as the query builder names it (`k.createdAt`), from an allow-list, never from the client. */
  column: string;
  /** Tie-breaker, unique (`k.id`); always ascending. */
  idColumn: string;
  desc: boolean;
}

/**
 * Orders `qb` by (column, id) — `DESC NULLS LAST` or `ASC NULLS FIRST`, then id ascending — and, given a position,
 * keeps only the rows strictly after it in that order. Rows inserted while a client pages land before or after the
 * position, never shifting it: no duplicates and nothing skipped, unlike an offset.
 */
export function applyKeyset<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  order: KeysetOrder,
  after: KeysetPosition | undefined,
): SelectQueryBuilder<T> {
  const { column: c, idColumn: id, desc } = order;
  // Column names come from the repositories' allow-lists; refuse anything else rather than splice it into SQL.
  for (const name of [c, id]) if (!/^[a-z]\.[A-Za-z]{1,40}$/.test(name)) throw new Error(`not a sort column: ${name}`);
  qb.orderBy(c, desc ? 'DESC' : 'ASC', desc ? 'NULLS LAST' : 'NULLS FIRST').addOrderBy(id, 'ASC');
  if (!after) return qb;
  const params = { ksValue: after.value, ksId: after.id };
  if (after.value === null) {
    // Nulls come last (desc) or first (asc): after a null, only later nulls — and, ascending, every non-null.
    const nulls = `(${c} IS NULL AND ${id} > :ksId)`;
    // sql-safe: c and id are checked column names (above); values are bound.
    return qb.andWhere(desc ? nulls : `(${nulls} OR ${c} IS NOT NULL)`, params);
  }
  const cmp = desc ? '<' : '>';
  const tail = desc ? ` OR ${c} IS NULL` : '';
  // sql-safe: c and id are checked column names (above), cmp and tail constant fragments; values are bound.
  return qb.andWhere(`(${c} ${cmp} :ksValue OR (${c} = :ksValue AND ${id} > :ksId)${tail})`, params);
}

/** The same order in memory (for fakes and tests): is `row` strictly after `pos`? */
export function isAfterPosition(row: KeysetPosition, pos: KeysetPosition, desc: boolean): boolean {
  return compareKeyset(row, pos, desc) > 0;
}

/** Compares two positions in the order {@link applyKeyset} gives. */
export function compareKeyset(a: KeysetPosition, b: KeysetPosition, desc: boolean): number {
  const byId = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  if (a.value === b.value) return byId;
  if (a.value === null) return desc ? 1 : -1;
  if (b.value === null) return desc ? -1 : 1;
  const c = a.value < b.value ? -1 : 1;
  return desc ? -c : c;
}
