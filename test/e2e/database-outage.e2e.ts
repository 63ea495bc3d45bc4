import { migrate, provisionDatabase } from '@app/core';
import { schema } from '../../apps/api/src/schema';
import { startTestApp, TestApp } from '../support/app';
import { TEST_APP, TEST_OWNER, TestDatabase } from '../support/database';
import { PgCluster } from '../support/pg-cluster';
import { waitFor } from '../support/ports';
import { ProbeModule } from '../support/probe.module';

describe('database outage (own PostgreSQL cluster, stopped and restarted)', () => {
  let cluster: PgCluster;
  let t: TestApp;

  beforeAll(async () => {
    cluster = await PgCluster.create();
    const name = 'sb_test_outage';
    await provisionDatabase({ adminUrl: cluster.adminUrl, database: name, owner: TEST_OWNER, app: TEST_APP });
    const url = (user: { name: string; password: string }) =>
      `postgres://${user.name}:${user.password}@127.0.0.1:${cluster.port}/${name}`;
    await migrate(url(TEST_OWNER), url(TEST_APP), schema);
    const db: TestDatabase = {
      name,
      appUrl: url(TEST_APP),
      ownerUrl: url(TEST_OWNER),
      adminUrl: cluster.adminUrl,
      drop: async () => undefined,
    };
    t = await startTestApp({ db, imports: [ProbeModule] });
  });

  afterAll(async () => {
    await t?.stop();
    cluster?.destroy();
  });

  it('answers 503 with a code while PostgreSQL is down, and recovers without a restart', async () => {
    expect((await t.request('/v1/test-probe/db')).status).toBe(200);
    cluster.stop();

    const ready = await t.request('/health/ready');
    expect(ready.status).toBe(503);
    const route = await t.request('/v1/test-probe/db');
    expect(route.status).toBe(503);
    expect(route.headers.get('content-type')).toMatch(/problem\+json/);
    const body = await route.json();
    expect(body).toMatchObject({ code: 'DATABASE_UNAVAILABLE', status: 503 });
    expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432|postgres/i);

    cluster.start();
    const started = Date.now();
    await waitFor(async () => ((await t.request('/v1/test-probe/db')).status === 200 ? true : undefined), 5000);
    await waitFor(async () => ((await t.request('/health/ready')).status === 200 ? true : undefined), 5000);
    process.stdout.write(`database outage: recovered ${Date.now() - started} ms after PostgreSQL restarted\n`);
  });
});
