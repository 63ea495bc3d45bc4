import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost } from '../support/auth-helpers';
import { daysFromNow, issue, pki } from '../support/certs';
import { createKey, problem, userWithScopes } from '../support/key-helpers';

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
interface Key {
  id: string;
  name: string;
  prefix: string;
}

/**
 * Keyset pages over HTTP on real PostgreSQL: every list pages by (sort value, id) behind an HMAC'd cursor, stays
 * stable while rows are inserted between pages, and refuses any cursor it did not issue with 400 INVALID_CURSOR.
 */
describe('keyset pagination (real PostgreSQL)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0', API_KEY_MAX_PER_USER: '40' } });
  });
  afterAll(() => t?.stop());

  async function get<T>(path: string, token: string): Promise<Page<T>> {
    const res = await t.request(path, { headers: bearer(token) });
    const body = (await res.json()) as Page<T>;
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Every page of a list; `between` runs after each page (the concurrent writer). */
  async function all<T>(path: string, token: string, between: (page: number) => Promise<void> = async () => {}) {
    const seen: T[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const body: Page<T> = await get<T>(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path, token);
      seen.push(...body.items);
      cursor = body.nextCursor;
      await between(page++);
    } while (cursor);
    return seen;
  }

  it('pages API keys without duplicates or gaps while keys are inserted before and after the position', async () => {
    const names = ['d', 'h', 'l', 'p', 't', 'x', 'b', 'f', 'j', 'n'];
    for (const sort of ['name', '-name', '-createdAt', 'createdAt', 'lastUsedAt', '-lastUsedAt']) {
      const { token } = await userWithScopes(t);
      const before = new Set<string>();
      for (const name of names) before.add((await createKey(t, token, { name: `k-${name}` })).id);
      let n = 0;
      const seen = await all<Key>(`/v1/api-keys?limit=3&sort=${sort}`, token, async () => {
        // Between pages another client adds keys that sort at the very start and the very end of the list:
        // with offsets the first would push an already-seen key onto the next page (a duplicate).
        for (const name of ['a', 'z']) await createKey(t, token, { name: `k-${name}${sort}${n++}` });
      });
      const ids = seen.map((k) => k.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of before) expect(ids).toContain(id);
      if (sort === 'name') {
        const names = seen.map((k) => k.name);
        expect([...names].sort()).toEqual(names);
      }
    }
  }, 120_000);

  it('pages by a nullable column (never used keys) through the NULL branch, both directions', async () => {
    const { token } = await userWithScopes(t);
    const made = new Set<string>();
    for (let i = 0; i < 5; i++) made.add((await createKey(t, token, { name: `null-${i}` })).id);
    for (const sort of ['lastUsedAt', '-lastUsedAt']) {
      const seen = await all<Key>(`/v1/api-keys?limit=2&sort=${sort}&status=active`, token);
      expect(seen.map((k) => k.id).sort()).toEqual([...made].sort());
    }
  });

  it('refuses a forged, tampered, foreign or offset-style cursor with 400 INVALID_CURSOR', async () => {
    const alice = await userWithScopes(t);
    const bob = await userWithScopes(t);
    for (let i = 0; i < 3; i++) await createKey(t, alice.token, { name: `alice-${i}` });
    for (let i = 0; i < 3; i++) await createKey(t, bob.token, { name: `bob-${i}` });
    const first = await get<Key>('/v1/api-keys?limit=1&sort=name', alice.token);
    const cursor = first.nextCursor!;
    const [body, version, mac] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify(['alice-2', first.items[0].id])).toString('base64url');
    const bad = [
      `${forged}.${version}.${mac}`, // moved position, old MAC
      `${body}.${version}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`, // MAC bit flipped
      Buffer.from('o20').toString('base64url'), // the old offset cursor
      'not-a-cursor',
      `${body}.${version}`,
    ];
    for (const c of bad) {
      const res = await t.request(`/v1/api-keys?limit=1&sort=name&cursor=${encodeURIComponent(c)}`, {
        headers: bearer(alice.token),
      });
      expect([c, res.status, (await problem(res)).code]).toEqual([c, 400, 'INVALID_CURSOR']);
    }
    // A genuine cursor only continues its own listing: not another user's, another sort or filter, or another list.
    for (const [path, token] of [
      ['/v1/api-keys?limit=1&sort=name', bob.token],
      ['/v1/api-keys?limit=1&sort=-name', alice.token],
      ['/v1/api-keys?limit=1&sort=name&status=active', alice.token],
      ['/v1/api-keys?limit=1&sort=name&q=alice', alice.token],
    ]) {
      const res = await t.request(`${path}&cursor=${encodeURIComponent(cursor)}`, { headers: bearer(token) });
      expect([path, (await problem(res)).code]).toEqual([path, 'INVALID_CURSOR']);
    }
    // The same cursor with the same filters continues, whatever the page size.
    const next = await get<Key>(`/v1/api-keys?limit=5&sort=name&cursor=${encodeURIComponent(cursor)}`, alice.token);
    expect(next.items.map((k) => k.name)).toEqual(['alice-1', 'alice-2']);
    // The refusal leaks nothing about the cursor's contents.
    const res = await t.request(`/v1/api-keys?cursor=${encodeURIComponent(`${forged}.${version}.${mac}`)}`, {
      headers: bearer(alice.token),
    });
    expect(await res.text()).not.toContain('alice-2');
  });

  it('searches keys by name (any case, wildcards literal) and by the start of the prefix', async () => {
    const { token } = await userWithScopes(t);
    const deploy = await createKey(t, token, { name: 'Deploy Bot' });
    await createKey(t, token, { name: 'metrics 100%' });
    await createKey(t, token, { name: 'metrics 1000' });
    const other = await userWithScopes(t);
    await createKey(t, other.token, { name: 'deploy elsewhere' });
    const q = async (term: string) =>
      (await all<Key>(`/v1/api-keys?limit=1&q=${encodeURIComponent(term)}`, token)).map((k) => k.name).sort();
    expect(await q('deploy')).toEqual(['Deploy Bot']);
    expect(await q('100%')).toEqual(['metrics 100%']);
    expect(await q('_')).toEqual([]);
    expect(await q(deploy.prefix.slice(0, 14))).toEqual(['Deploy Bot']);
    expect(await q('sk_live_')).toHaveLength(3);
    const tooLong = await t.request(`/v1/api-keys?q=${'x'.repeat(65)}`, { headers: bearer(token) });
    expect((await problem(tooLong)).code).toBe('VALIDATION_FAILED');
  });

  it('pages certificates and a key’s audit events the same way', async () => {
    const { token } = await userWithScopes(t, ['certificates:read', 'certificates:write']);
    const { intermediate } = await pki();
    for (let i = 0; i < 5; i++) {
      const leaf = await issue(intermediate, {
        cn: `host${i}.test`,
        dns: [`host${i}.test`],
        notAfter: daysFromNow(30 + i),
      });
      const res = await t.request('/v1/certificates', jsonPost({ pem: leaf.pem }, bearer(token)));
      expect(res.status).toBe(201);
    }
    for (const sort of ['notAfter', '-notAfter', 'subject', '-lastCheckedAt']) {
      const seen = await all<{ id: string }>(`/v1/certificates?limit=2&sort=${sort}`, token);
      expect(new Set(seen.map((c) => c.id)).size).toBe(5);
    }
    const certPage = await get<{ id: string }>('/v1/certificates?limit=2', token);
    const crossed = await t.request(`/v1/api-keys?cursor=${encodeURIComponent(certPage.nextCursor!)}`, {
      headers: bearer(token),
    });
    expect((await problem(crossed)).code).toBe('INVALID_CURSOR');

    const key = await createKey(t, token, { name: 'evented' });
    for (const name of ['evt1', 'evt2', 'evt3']) {
      const res = await t.request(`/v1/api-keys/${key.id}`, { ...jsonPost({ name }, bearer(token)), method: 'PATCH' });
      expect(res.status).toBe(200);
    }
    const events: string[] = [];
    let cursor: string | null = null;
    do {
      const path: string = `/v1/api-keys/${key.id}/usage?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await t.request(path, { headers: bearer(token) });
      const body = (await res.json()) as { recentEvents: Page<{ id: string }> };
      events.push(...body.recentEvents.items.map((e) => e.id));
      cursor = body.recentEvents.nextCursor;
    } while (cursor);
    expect(events).toHaveLength(4);
    expect(events).toEqual([...events].sort((a, b) => Number(b) - Number(a)));
    const foreign = await t.request(`/v1/api-keys/${key.id}/usage?cursor=${encodeURIComponent(certPage.nextCursor!)}`, {
      headers: bearer(token),
    });
    expect((await problem(foreign)).code).toBe('INVALID_CURSOR');
  });
});
