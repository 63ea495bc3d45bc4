import { Logger } from '@nestjs/common';
import { loadConfig, SystemClock } from '@app/core';
import type { EncryptionRepository } from './encryption.repository';
import { GCM_RANDOM_IV_LIMIT, PersistentEncryptionCounter } from './persistent-encryption-counter';

describe('PersistentEncryptionCounter', () => {
  it('adds counts in one batch and warns once per version past the configured share of 2^32', async () => {
    const totals = new Map<number, number>([[1, 0]]);
    const batches: Map<number, number>[] = [];
    const repo = {
      addCounts: async (batch: Map<number, number>) => {
        batches.push(new Map(batch));
        for (const [v, n] of batch) totals.set(v, (totals.get(v) ?? 0) + n);
        return new Map(totals);
      },
    } as unknown as EncryptionRepository;
    const counter = new PersistentEncryptionCounter(
      repo,
      new SystemClock(),
      loadConfig({ ENCRYPTION_WARN_PERCENT: '1' }),
    );
    expect(counter.warnAt).toBe(Math.floor(GCM_RANDOM_IV_LIMIT / 100));
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      for (let i = 0; i < 3; i++) counter.count(1);
      await counter.flush();
      expect(batches).toEqual([new Map([[1, 3]])]);
      expect(warn).not.toHaveBeenCalled();
      totals.set(1, counter.warnAt); // the version has been used a lot elsewhere
      counter.count(1);
      await counter.flush();
      counter.count(1);
      await counter.flush();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][0]).toMatchObject({ keyVersion: 1 });
    } finally {
      warn.mockRestore();
    }
  });

  it('keeps counts when the database is away', async () => {
    let fail = true;
    const seen: number[] = [];
    const repo = {
      addCounts: async (batch: Map<number, number>) => {
        if (fail) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        seen.push(batch.get(2)!);
        return new Map([[2, batch.get(2)!]]);
      },
    } as unknown as EncryptionRepository;
    const counter = new PersistentEncryptionCounter(repo, new SystemClock(), loadConfig({}));
    counter.count(2);
    counter.count(2);
    await counter.flush();
    fail = false;
    counter.count(2);
    await counter.flush();
    expect(seen).toEqual([3]);
  });
});
