import { get } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IncomingMessage } from 'node:http';
import { AUDIT_EXPORT_BATCH as EXPORT_BATCH } from '@app/audit';
import { MetricsService } from '@app/core';
import { startTestApp, TestApp } from '../support/app';
import { adminQuery } from '../support/database';
import { userWithScopes } from '../support/key-helpers';

const ROWS = 100_000;
const MB = 1024 * 1024;

/** A full garbage collection on demand (as `--expose-gc` gives), so the heap measured is what is still referenced. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const retainedHeap = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

/**
 * The NDJSON export of 100,000 events over real HTTP: every row arrives once, newest first, the server reads the
 * next batch only when the client has taken the last (a paused client stops the queries) and memory stays flat.
 */
describe('audit export of 100,000 events (real PostgreSQL)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
    token = (await userWithScopes(t, ['admin:all'])).token;
    // The rows are written straight into the table (their chain is not what this test is about).
    await adminQuery(
      t.db,
      `INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, target_type, target_id, outcome, ip,
         user_agent, request_id, details, prev_hash, hash)
       SELECT nextval('audit_events_id_seq'), now() - (($1 - g) || ' seconds')::interval, 'user', 'bulk-actor',
         'auth.login', 'session', md5(g::text), 'success', '198.51.100.' || (g % 250), 'bulk-agent/1.0',
         md5('r' || g), jsonb_build_object('n', g, 'note', repeat('x', 64)), repeat('0', 64), repeat('0', 64)
       FROM generate_series(1, $1) AS g`,
      [ROWS],
    );
    // As autovacuum would after such a load: the planner needs the statistics to pick the (actor_id, id) index.
    await adminQuery(t.db, 'ANALYZE audit_events');
  }, 60_000);
  afterAll(() => t?.stop());

  function open(path: string): Promise<IncomingMessage> {
    return new Promise((resolve, reject) =>
      get(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` } }, resolve).on('error', reject),
    );
  }

  it('streams every row once with flat memory, and a paused client pauses the queries', async () => {
    // SQL statements the app sends (the export's queries; nothing else runs here: jobs and mail delivery are off).
    const metrics = t.app.get(MetricsService);
    const statements = async () => (await metrics.dbStatements.get()).values.reduce((n, v) => n + v.value, 0);
    const before = await statements();
    const started = Date.now();
    const res = await open('/v1/audit/events/export?actorId=bulk-actor');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);

    // Backpressure: read one chunk, then stop reading for a while; the server must stop querying soon after.
    const first: Buffer = await new Promise((r) => res.once('data', r));
    res.pause();
    await new Promise((r) => setTimeout(r, 1500));
    const queriesWhilePaused = (await statements()) - before;
    expect(queriesWhilePaused).toBeLessThan(ROWS / EXPORT_BATCH / 4);

    const baseline = retainedHeap();
    let peak = baseline;
    let lines = 0;
    let previousId = Infinity;
    let ordered = true;
    let rest = first.toString('utf8');
    const take = (text: string) => {
      const parts = (rest + text).split('\n');
      rest = parts.pop()!;
      for (const line of parts) {
        const id = Number((JSON.parse(line) as { id: string }).id);
        if (id >= previousId) ordered = false;
        previousId = id;
        lines++;
      }
    };
    take('');
    res.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      let sampledAt = 0;
      res.on('data', (chunk: string) => {
        take(chunk);
        // Every 10,000 rows: what the server (and this client) still hold after a full collection.
        if (lines - sampledAt >= 10_000) {
          sampledAt = lines;
          peak = Math.max(peak, retainedHeap());
        }
      });
      res.on('end', resolve);
      res.on('error', reject);
      res.resume();
    });
    const seconds = (Date.now() - started) / 1000;
    expect(rest).toBe('');
    expect(lines).toBe(ROWS);
    expect(ordered).toBe(true);
    const queries = (await statements()) - before;
    expect(queries).toBeGreaterThanOrEqual(ROWS / EXPORT_BATCH + 1);
    // Retained heap (server and client share the process) while 100,000 rows (≈ 45 MB of NDJSON) went through:
    // holding them would retain far more than the 16 MB allowed here.
    const growth = (peak - baseline) / MB;
    process.stdout.write(
      `audit export: ${ROWS} rows in ${seconds.toFixed(1)} s; heap growth ${growth.toFixed(1)} MB; ${queries} statements; ${queriesWhilePaused} queries before the paused client read on\n`,
    );
    expect(growth).toBeLessThan(16);
  }, 120_000);
});
