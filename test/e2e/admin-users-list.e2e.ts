import { startTestApp, TestApp } from '../support/app';
import { bearer, registerAndLogin, uniqueUser } from '../support/auth-helpers';
import { problem, userWithScopes } from '../support/key-helpers';

interface Page {
  items: { id: string; email: string; username: string; disabledAt: string | null }[];
  nextCursor: string | null;
}

/** GET /v1/admin/users over HTTP: admin only, prefix search, keyset pages, audited. */
describe('admin user list (real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
  });
  afterAll(() => t?.stop());

  it('lists and searches users for admin:all only, page by page, and records the read', async () => {
    const admin = await userWithScopes(t, ['admin:all']);
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await registerAndLogin(t, uniqueUser(`zed${i}x`))).userId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/admin/users?q=zed&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.request(path, { headers: bearer(admin.token) });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Page;
      seen.push(...body.items.map((u) => u.id));
      cursor = body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...made].reverse()); // newest first, each once
    const one = (await (await t.request('/v1/admin/users?q=ZED0', { headers: bearer(admin.token) })).json()) as Page;
    expect(one.items.map((u) => u.id)).toEqual([made[0]]);
    const wildcard = (await (
      await t.request('/v1/admin/users?q=%25', { headers: bearer(admin.token) })
    ).json()) as Page;
    expect(wildcard.items).toEqual([]);

    const user = await registerAndLogin(t);
    const refused = await t.request('/v1/admin/users', { headers: bearer(user.token) });
    expect((await problem(refused)).code).toBe('INSUFFICIENT_SCOPES');
    const bad = await t.request('/v1/admin/users?cursor=forged', { headers: bearer(admin.token) });
    expect((await problem(bad)).code).toBe('INVALID_CURSOR');

    const reads = await t.request(`/v1/audit/events?type=admin.user_list&actorId=${admin.userId}`, {
      headers: bearer(admin.token),
    });
    expect(((await reads.json()) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(5);
  });
});
