import { Logger } from '@nestjs/common';
import type { JobDefinition, JobScheduler } from '@app/core';
import { Keyring } from '@app/crypto';
import { randomBytes } from 'node:crypto';
import { ManualClock } from '../../../test/fakes/core';
import { FakeCiphertextStore } from '../../../test/fakes/encryption';
import { CiphertextStores } from '@app/core';
import { REWRAP_JOB, RewrapService } from './rewrap.service';

const key = () => randomBytes(32).toString('base64');
const KEYS = `v1:${key()},v2:${key()},v3:${key()}`;

function setup(stores: (keyring: Keyring) => FakeCiphertextStore[]) {
  const keyring = Keyring.parse(KEYS);
  const registry = new CiphertextStores();
  const list = stores(keyring);
  for (const s of list) registry.register(s);
  const clock = new ManualClock();
  const jobs: JobDefinition[] = [];
  const scheduler = { register: (job: JobDefinition) => void jobs.push(job) } as unknown as JobScheduler;
  const service = new RewrapService(registry, keyring, clock, scheduler);
  return { service, stores: list, clock, jobs, keyring };
}

describe('RewrapService', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('moves every older envelope of every store to the current version, batch by batch', async () => {
    const { service, stores, clock } = setup((k) => [
      new FakeCiphertextStore('profiles', k, { 1: 250, 2: 120, 3: 30 }),
      new FakeCiphertextStore('documents', k, { 2: 5 }),
    ]);
    expect(await service.remaining()).toBe(375);
    const progress: number[] = [];
    const result = await service.run(100, (s) => progress.push(s.rewrapped));
    expect(result).toMatchObject({
      state: 'done',
      targetVersion: 3,
      rewrapped: 375,
      skipped: 0,
      remaining: 0,
      startedAt: clock.now().toISOString(),
      finishedAt: clock.now().toISOString(),
    });
    expect(stores.map((s) => s.versions())).toEqual([{ 3: 400 }, { 3: 5 }]);
    expect(stores.map((s) => s.batches)).toEqual([5, 2]); // 4 batches of ≤100, then one that finds nothing
    expect(progress).toEqual([0, 100, 200, 300, 370, 375, 375]); // start, each batch, the end
  });

  it('a row that fails its integrity check is skipped for the rest of the run, not retried forever', async () => {
    const { service, stores } = setup((k) => [
      new FakeCiphertextStore('profiles', k, { 1: 10 }, ['profiles-v1-0', 'profiles-v1-7']),
    ]);
    const result = await service.run(3);
    expect(result).toMatchObject({ state: 'done', rewrapped: 8, skipped: 2, remaining: 2 });
    expect(stores[0].skipSets.size).toBe(1); // one skip set carried through the store's batches
  });

  it('a crash mid-run is reported as failed; the next run continues with what is left', async () => {
    const { service, stores } = setup((k) => [new FakeCiphertextStore('profiles', k, { 1: 50 })]);
    stores[0].failOnBatch = 3;
    const failed = await service.run(10);
    expect(failed).toMatchObject({ state: 'failed', rewrapped: 20, error: 'profiles: connection lost in batch 3' });
    expect(service.state.state).toBe('failed');
    expect(stores[0].versions()).toEqual({ 1: 30, 3: 20 });
    const rerun = await service.run(10);
    expect(rerun).toMatchObject({ state: 'done', rewrapped: 30, remaining: 0 });
    expect(stores[0].versions()).toEqual({ 3: 50 });
  });

  it('a second start while a run is going joins it instead of running twice', async () => {
    const { service, stores } = setup((k) => [new FakeCiphertextStore('profiles', k, { 1: 40 })]);
    const started = service.start(10);
    expect(started.state).toBe('running');
    const [a, b] = await Promise.all([service.run(10), service.run(10)]);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ state: 'done', rewrapped: 40 });
    expect(stores[0].batches).toBe(5);
  });

  it('registers an hourly job that does nothing when nothing is left and fails when the run fails', async () => {
    const { service, stores, jobs } = setup((k) => [new FakeCiphertextStore('profiles', k, { 3: 10 })]);
    service.onModuleInit();
    expect(jobs.map((j) => [j.name, j.everyMs])).toEqual([[REWRAP_JOB, 3_600_000]]);
    expect(await jobs[0].run()).toEqual({ rewrapped: 0, skipped: 0, remaining: 0 });
    expect(stores[0].batches).toBe(0);
    stores[0].rows.set('old', { version: 2, tampered: false });
    stores[0].failOnBatch = 1;
    await expect(jobs[0].run()).rejects.toThrow('connection lost');
    expect(await jobs[0].run()).toEqual({ rewrapped: 1, skipped: 0, remaining: 0 });
  });
});
