import { startTestApp, TestApp } from '../support/app';
import { jsonPost, uniqueUser } from '../support/auth-helpers';
import { adminQuery } from '../support/database';

/**
 * The request context (request id, trusted client address, user agent) reaches audit rows written deep inside
 * services, also for requests with a body: it is entered by a Fastify `preHandler` hook, after the body is parsed, no
 * longer by Nest middleware through middie. Without the hook every row below has NULL request id, address and agent.
 */
describe('request context of audit rows (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(async () => t?.stop());

  it('a POST with a JSON body records its request id, trusted client address and user agent', async () => {
    const user = uniqueUser('ctx');
    const res = await t.request(
      '/v1/auth/register',
      jsonPost(user, { 'x-forwarded-for': '203.0.113.77', 'user-agent': 'context-probe/1.0' }),
    );
    expect(res.status).toBe(202);
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    const rows = await adminQuery<{ action: string; ip: string | null; user_agent: string | null }>(
      t.db,
      'SELECT action, ip, user_agent FROM audit_events WHERE request_id = $1',
      [requestId],
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toMatchObject({ ip: '203.0.113.77', user_agent: 'context-probe/1.0' });
  });

  it('two concurrent requests keep their own contexts', async () => {
    const [a, b] = await Promise.all(
      ['203.0.113.78', '203.0.113.79'].map((ip) =>
        t.request('/v1/auth/register', jsonPost(uniqueUser('ctx'), { 'x-forwarded-for': ip })),
      ),
    );
    for (const [res, ip] of [
      [a, '203.0.113.78'],
      [b, '203.0.113.79'],
    ] as const) {
      const rows = await adminQuery<{ ip: string }>(t.db, 'SELECT ip FROM audit_events WHERE request_id = $1', [
        res.headers.get('x-request-id'),
      ]);
      expect(rows.map((r) => r.ip)).toEqual(rows.map(() => ip));
      expect(rows.length).toBeGreaterThan(0);
    }
  });
});
