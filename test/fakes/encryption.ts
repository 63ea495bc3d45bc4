import type { Keyring } from '@app/crypto';
import type { CiphertextStore } from '@app/core';

/**
 * A ciphertext store over a Map of rows, each under a key version: counts per version, and rewraps a batch by
 * moving rows to the keyring's current version. A `tampered` row fails its integrity check: it joins `skip` and
 * stays where it is. `failOnBatch` makes that batch throw (a crash mid-run); more than 10,000 batches in one
 * store throw too, so a caller that never stops fails instead of hanging.
 */
export class FakeCiphertextStore implements CiphertextStore {
  readonly rows = new Map<string, { version: number; tampered: boolean }>();
  batches = 0;
  readonly skipSets = new Set<Set<string>>();
  failOnBatch?: number;

  constructor(
    readonly name: string,
    private readonly keyring: Keyring,
    perVersion: Record<number, number> = {},
    tampered: string[] = [],
  ) {
    for (const [version, n] of Object.entries(perVersion))
      for (let i = 0; i < n; i++)
        this.rows.set(`${name}-v${version}-${i}`, { version: Number(version), tampered: false });
    for (const id of tampered) this.rows.get(id)!.tampered = true;
  }

  async countByVersion(): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const r of this.rows.values()) counts.set(r.version, (counts.get(r.version) ?? 0) + 1);
    return counts;
  }

  async rewrapBatch(limit: number, skip: Set<string>): Promise<{ rewrapped: number; skipped: number }> {
    this.batches++;
    this.skipSets.add(skip);
    if (this.batches === this.failOnBatch) throw new Error(`${this.name}: connection lost in batch ${this.batches}`);
    if (this.batches > 10_000) throw new Error(`${this.name}: runaway rewrap`);
    const due = [...this.rows]
      .filter(([id, r]) => r.version < this.keyring.current && !skip.has(id))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .slice(0, limit);
    let rewrapped = 0;
    let skipped = 0;
    for (const [id, r] of due) {
      if (r.tampered) {
        skip.add(id);
        skipped++;
      } else {
        r.version = this.keyring.current;
        rewrapped++;
      }
    }
    return { rewrapped, skipped };
  }

  /** Rows per version, as a plain object (for assertions). */
  versions(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const r of this.rows.values()) out[r.version] = (out[r.version] ?? 0) + 1;
    return out;
  }
}
