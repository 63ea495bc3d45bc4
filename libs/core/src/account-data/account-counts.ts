import { Injectable } from '@nestjs/common';

/**
 * One bounded context's count of what a user holds there (`apiKeys`, `certificates`, `factors` …), for the admin's
 * view of a user. Registered from the context's module, so auth reports them without importing the context.
 */
export interface AccountCounter {
  /** The count's key in the answer (camelCase); unique. */
  readonly name: string;
  /** What the user holds now (live keys, inventoried certificates, enrolled factors). */
  count(userId: string): Promise<number>;
  /**
   * Optional: an SQL condition true when the user whose id is in `userIdColumn` holds at least one, so a list of users
   * can filter on it (`mfa=true` uses the `factors` counter). A constant fragment from code, never from a client.
   */
  existsSql?(userIdColumn: string): string;
}

/** Counts across bounded contexts (like AccountData for export and erasure). */
@Injectable()
export class AccountCounts {
  private readonly counters: AccountCounter[] = [];

  register(counter: AccountCounter): void {
    if (this.counters.some((c) => c.name === counter.name))
      throw new Error(`account counter ${counter.name} registered twice`);
    this.counters.push(counter);
  }

  /** The condition of {@link AccountCounter.existsSql} for `name`; `FALSE` when no such counter is registered. */
  existsSql(name: string, userIdColumn: string): string {
    const counter = this.counters.find((c) => c.name === name);
    return counter?.existsSql ? `(${counter.existsSql(userIdColumn)})` : 'FALSE';
  }

  /** Every registered count of the user, by name (sorted by name, so the answer reads the same everywhere). */
  async of(userId: string): Promise<Record<string, number>> {
    const sorted = [...this.counters].sort((a, b) => a.name.localeCompare(b.name));
    const values = await Promise.all(sorted.map((c) => c.count(userId)));
    return Object.fromEntries(sorted.map((c, i) => [c.name, values[i]]));
  }
}
