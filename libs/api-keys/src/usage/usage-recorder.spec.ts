import { Logger } from '@nestjs/common';
import { loadConfig } from '@app/core';
import { FakeApiKeysRepository } from '../../../../test/fakes/api-keys';
import { databaseDown, FakeDatabase, ManualClock } from '../../../../test/fakes/core';
import { SeenNetwork, UsageRecorder } from './usage-recorder';

const K1 = 'key-1';
const K2 = 'key-2';

function setup() {
  const repo = new FakeApiKeysRepository(new FakeDatabase());
  const clock = new ManualClock('2026-03-10T23:59:59.000Z');
  const recorder = new UsageRecorder(repo.asRepository(), clock, loadConfig({}));
  const networks: SeenNetwork[][] = [];
  recorder.onNetworks(async (seen) => void networks.push(seen));
  return { repo, clock, recorder, networks };
}

describe('UsageRecorder', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('writes nothing per use: one batch per flush, totals per key and counts per UTC day and outcome', async () => {
    const { repo, clock, recorder } = setup();
    for (let i = 0; i < 1000; i++) recorder.record(K1, 'VALID', '203.0.113.7');
    recorder.record(K1, 'RATE_LIMITED', '203.0.113.7');
    clock.advance(1000); // past midnight UTC
    recorder.record(K1, 'VALID', '203.0.113.7');
    recorder.record(K2, 'API_KEY_EXPIRED', '198.51.100.1');
    expect(repo.usageBatches).toHaveLength(0);
    await recorder.flush();
    expect(repo.usageBatches).toHaveLength(1);
    const [batch] = repo.usageBatches;
    expect(batch.totals).toEqual([
      {
        keyId: K1,
        total: 1002,
        lastUsedAt: new Date('2026-03-11T00:00:00.000Z'),
        lastUsedIp: '203.0.113.7',
        lastUsedIpReportedBy: null,
      },
      { keyId: K2, total: 1, lastUsedAt: null, lastUsedIp: null, lastUsedIpReportedBy: null },
    ]);
    expect(batch.daily).toEqual([
      { keyId: K1, day: '2026-03-10', outcome: 'VALID', count: 1000 },
      { keyId: K1, day: '2026-03-10', outcome: 'RATE_LIMITED', count: 1 },
      { keyId: K1, day: '2026-03-11', outcome: 'VALID', count: 1 },
      { keyId: K2, day: '2026-03-11', outcome: 'API_KEY_EXPIRED', count: 1 },
    ]);
    await recorder.flush();
    expect(repo.usageBatches).toHaveLength(1); // nothing new: no write
  });

  it('only a successful use sets last-used, and only with a real address', async () => {
    const { repo, clock, recorder } = setup();
    recorder.record(K1, 'VALID', '203.0.113.7');
    clock.advance(5);
    recorder.record(K1, 'IP_NOT_ALLOWED', '192.0.2.1');
    recorder.record(K2, 'VALID', 'not-an-address<script>');
    await recorder.flush();
    expect(repo.usageBatches[0].totals).toEqual([
      {
        keyId: K1,
        total: 2,
        lastUsedAt: new Date('2026-03-10T23:59:59.000Z'),
        lastUsedIp: '203.0.113.7',
        lastUsedIpReportedBy: null,
      },
      {
        keyId: K2,
        total: 1,
        lastUsedAt: new Date('2026-03-10T23:59:59.005Z'),
        lastUsedIp: null,
        lastUsedIpReportedBy: null,
      },
    ]);
  });

  it('keeps the counts while the database is away and adds them to the next flush', async () => {
    const { repo, recorder } = setup();
    for (let i = 0; i < 3; i++) recorder.record(K1, 'VALID', '203.0.113.7');
    repo.usageFailures = [databaseDown()];
    await recorder.flush();
    expect(repo.usageBatches).toHaveLength(0);
    recorder.record(K1, 'VALID', '203.0.113.7');
    recorder.record(K2, 'VALID', '203.0.113.8');
    await recorder.flush();
    expect(repo.usageBatches).toHaveLength(1);
    expect(repo.usageBatches[0].totals.map((t) => [t.keyId, t.total])).toEqual([
      [K1, 4],
      [K2, 1],
    ]);
    expect(repo.usageBatches[0].daily.find((d) => d.keyId === K1)?.count).toBe(4);
    expect(recorder.dropped).toBe(0);
  });

  it('drops (and counts) a batch that fails for another reason, so it cannot block every later one', async () => {
    const { repo, recorder } = setup();
    for (let i = 0; i < 3; i++) recorder.record(K1, 'VALID', undefined);
    repo.usageFailures = [new Error('value too long for type character varying(16)')];
    await recorder.flush();
    expect(recorder.dropped).toBe(3);
    recorder.record(K1, 'VALID', undefined);
    await recorder.flush();
    expect(repo.usageBatches.map((b) => b.totals[0].total)).toEqual([1]);
  });

  it('a flush asked for while one runs waits for it, then writes what came after', async () => {
    const { repo, recorder } = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const addUsage = repo.addUsage.bind(repo);
    repo.addUsage = async (totals, daily) => {
      await gate;
      return addUsage(totals, daily);
    };
    recorder.record(K1, 'VALID', undefined);
    const first = recorder.flush();
    recorder.record(K1, 'VALID', undefined);
    recorder.record(K1, 'VALID', undefined);
    const second = recorder.flush();
    release();
    await Promise.all([first, second]);
    expect(repo.usageBatches.map((b) => b.totals[0].total)).toEqual([1, 2]);
  });

  it('reports each new network (/24, /64) of a key once, after its counts are written', async () => {
    const { recorder, networks, clock } = setup();
    recorder.record(K1, 'VALID', '203.0.113.7');
    recorder.record(K1, 'VALID', '203.0.113.99'); // same /24
    recorder.record(K1, 'IP_NOT_ALLOWED', '198.51.100.1'); // refused uses are not the key's networks
    recorder.record(K1, 'VALID', '2001:db8:1:2::5');
    expect(networks).toHaveLength(0);
    await recorder.flush();
    expect(networks).toEqual([
      [
        { keyId: K1, network: '203.0.113.0/24', at: clock.now() },
        { keyId: K1, network: '2001:db8:1:2::/64', at: clock.now() },
      ],
    ]);
    recorder.record(K1, 'VALID', '203.0.113.8');
    recorder.record(K1, 'VALID', '192.0.2.1');
    await recorder.flush();
    expect(networks[1]).toEqual([{ keyId: K1, network: '192.0.2.0/24', at: clock.now() }]);
  });

  it('a network whose recording failed is reported again when seen again', async () => {
    const { recorder, repo } = setup();
    const sunk: string[][] = [];
    let fail = true;
    recorder.onNetworks(async (seen) => {
      if (fail) throw databaseDown();
      sunk.push(seen.map((s) => s.network));
    });
    recorder.record(K1, 'VALID', '203.0.113.7');
    await recorder.flush();
    expect(repo.usageBatches).toHaveLength(1); // the counts were written; only the networks failed
    fail = false;
    recorder.record(K1, 'VALID', '203.0.113.7');
    await recorder.flush();
    expect(sunk).toEqual([]); // the same address in a row is not looked at again...
    recorder.record(K1, 'VALID', '203.0.113.8');
    await recorder.flush();
    expect(sunk).toEqual([['203.0.113.0/24']]); // ...but its network, seen from another address, is retried
  });

  it('writes what is left at shutdown', async () => {
    const { repo, recorder } = setup();
    recorder.record(K1, 'VALID', undefined);
    await recorder.onApplicationShutdown();
    expect(repo.usageBatches).toHaveLength(1);
  });
});
