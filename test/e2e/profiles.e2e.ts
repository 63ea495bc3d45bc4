import { randomBytes } from 'node:crypto';
import { SecretStore } from '@app/core';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { createKey, problem, userWithScopes, withKey } from '../support/key-helpers';
import { waitFor } from '../support/ports';
import { cleanEnv, CLI_MAIN, spawnNode } from '../support/process';
import { TestClock } from '../support/test-clock';

const V1 = `v1:${randomBytes(32).toString('base64')}`;
const V2 = `v2:${randomBytes(32).toString('base64')}`;
const PROFILE = {
  displayName: 'Ada Lovelace',
  phone: '+44 20 7946 0958',
  address: '12 St James Square, London',
  dateOfBirth: '1815-12-10',
  ssn: '123-45-6789',
  cardNumber: '4242 4242 4242 4242',
  medicalInfo: { allergies: ['penicillin'] },
};

function put(t: TestApp, token: string, body: Record<string, unknown>) {
  return t.request('/v1/profiles/me', {
    method: 'PUT',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('profiles with encrypted PII (real PostgreSQL)', () => {
  let db: TestDatabase;
  let t: TestApp;
  const clock = new TestClock();

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, clock, env: { ENCRYPTION_KEYS: V1 } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('stores sensitive fields encrypted, answers them masked, and reveals them only when asked, audited', async () => {
    const u = await registerAndLogin(t);
    const res = await put(t, u.token, PROFILE);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      displayName: 'Ada Lovelace',
      ssn: '***-**-6789',
      cardNumber: '**** **** **** 4242',
      revealed: false,
    });
    const [row] = await adminQuery<Record<string, string>>(db, 'SELECT * FROM profiles WHERE user_id = $1', [u.userId]);
    const stored = JSON.stringify(row);
    for (const secret of ['123456789', '123-45-6789', '4242424242424242', 'penicillin'])
      expect(stored).not.toContain(secret);
    const masked = (await (await t.request('/v1/profiles/me', { headers: bearer(u.token) })).json()) as Record<
      string,
      unknown
    >;
    expect(masked).not.toHaveProperty('medicalInfo');
    const revealed = (await (
      await t.request('/v1/profiles/me?reveal=true', { headers: bearer(u.token) })
    ).json()) as Record<string, unknown>;
    expect(revealed).toMatchObject({
      ssn: '123-45-6789',
      cardNumber: '4242424242424242',
      medicalInfo: { allergies: ['penicillin'] },
      revealed: true,
    });
    const audits = await adminQuery(
      db,
      `SELECT 1 FROM audit_events WHERE action = 'profile.reveal' AND target_id = $1`,
      [u.userId],
    );
    expect(audits).toHaveLength(1);
  });

  it('a session must have signed in within 15 minutes to reveal; a key needs profiles:read_sensitive', async () => {
    const u = await registerAndLogin(t);
    await put(t, u.token, { ssn: '078-05-1120' });
    const narrow = await createKey(t, u.token, { scopes: ['profiles:read'] });
    const sensitive = await createKey(t, u.token, { scopes: ['profiles:read', 'profiles:read_sensitive'] });
    expect((await t.request('/v1/profiles/me', withKey(narrow.key))).status).toBe(200);
    expect(await problem(await t.request('/v1/profiles/me?reveal=true', withKey(narrow.key)))).toMatchObject({
      status: 403,
      code: 'INSUFFICIENT_SCOPES',
    });
    expect(
      ((await (await t.request('/v1/profiles/me?reveal=true', withKey(sensitive.key))).json()) as { ssn: string }).ssn,
    ).toBe('078-05-1120');
    clock.advance(16 * 60_000);
    try {
      await t.request('/v1/me', { headers: bearer(u.token) }); // keep the session alive (idle timeout is 30 min)
      expect(await problem(await t.request('/v1/profiles/me?reveal=true', { headers: bearer(u.token) }))).toMatchObject(
        { status: 403, code: 'RECENT_LOGIN_REQUIRED' },
      );
    } finally {
      clock.advance(-16 * 60_000);
    }
  });

  it('validates formats and stores nothing on bad input', async () => {
    const u = await registerAndLogin(t);
    for (const body of [
      { ssn: '000-12-3456' },
      { ssn: '123456' },
      { cardNumber: '4242 4242 4242 4241' },
      { cardNumber: 'abcd' },
      { dateOfBirth: '1815-13-40' },
      { phone: 'call me' },
      { medicalInfo: { notes: 'x'.repeat(9000) } },
      { medicalInfo: 'text' },
      { displayName: 'a\u0000b' },
      { ssn: '123-45-6789', extra: true },
    ]) {
      const res = await put(t, u.token, body);
      expect({ body: Object.keys(body), status: res.status }).toEqual({ body: Object.keys(body), status: 400 });
    }
    expect(await adminQuery(db, 'SELECT 1 FROM profiles WHERE user_id = $1', [u.userId])).toHaveLength(0);
  });

  it('another user’s profile answers 404; admin:all reads it (masked) and finds it by SSN through the blind index', async () => {
    const owner = await registerAndLogin(t);
    const other = await registerAndLogin(t);
    await put(t, owner.token, { ssn: '219-09-9999', displayName: 'Owner' });
    expect((await t.request(`/v1/profiles/${owner.userId}`, { headers: bearer(other.token) })).status).toBe(404);
    const admin = await userWithScopes(t, ['admin:all']);
    expect(
      (
        (await (await t.request(`/v1/profiles/${owner.userId}`, { headers: bearer(admin.token) })).json()) as {
          ssn: string;
        }
      ).ssn,
    ).toBe('***-**-9999');
    const found = (await (
      await t.request('/v1/profiles/search', jsonPost({ ssn: '219099999' }, bearer(admin.token)))
    ).json()) as { items: { userId: string }[] };
    expect(found.items.map((i) => i.userId)).toEqual([owner.userId]);
    expect((await t.request('/v1/profiles/search', jsonPost({ ssn: '219-09-9999' }, bearer(owner.token)))).status).toBe(
      403,
    );
  });

  it('a row edited in SQL is refused with 409 PROFILE_INTEGRITY_FAILED and audited; a ciphertext moved to another row too', async () => {
    const a = await registerAndLogin(t);
    const b = await registerAndLogin(t);
    await put(t, a.token, { displayName: 'A', ssn: '111-22-3333' });
    await put(t, b.token, { displayName: 'B', ssn: '444-55-6666' });
    await adminQuery(db, `UPDATE profiles SET phone = '+1 555 0100' WHERE user_id = $1`, [a.userId]);
    expect(await problem(await t.request('/v1/profiles/me', { headers: bearer(a.token) }))).toMatchObject({
      status: 409,
      code: 'PROFILE_INTEGRITY_FAILED',
    });
    expect(
      await adminQuery(db, `SELECT 1 FROM audit_events WHERE action = 'profile.integrity_failed' AND target_id = $1`, [
        a.userId,
      ]),
    ).toHaveLength(1);
    // Copy B's SSN envelope, MAC and all, onto A's row: the MAC is over A's id, and the AAD names B.
    await adminQuery(
      db,
      `UPDATE profiles p SET ssn_ct = q.ssn_ct, ssn_last4 = q.ssn_last4, integrity_mac = q.integrity_mac FROM profiles q WHERE p.user_id = $1 AND q.user_id = $2`,
      [a.userId, b.userId],
    );
    expect((await t.request('/v1/profiles/me?reveal=true', { headers: bearer(a.token) })).status).toBe(409);
    expect((await t.request('/v1/profiles/me?reveal=true', { headers: bearer(b.token) })).status).toBe(200);
  });

  it('exports everything held about me: account, decrypted profile, key metadata (no secrets), sessions, audit events', async () => {
    const u = await registerAndLogin(t);
    await put(t, u.token, PROFILE);
    const key = await createKey(t, u.token, { name: 'export me' });
    const res = await t.request('/v1/profiles/me/export', { headers: bearer(u.token) });
    expect(res.status).toBe(200);
    const text = await res.text();
    const doc = JSON.parse(text) as {
      account: { email: string };
      profile: { ssn: string; medicalInfo: unknown };
      apiKeys: { id: string }[];
      sessions: unknown[];
      auditEvents: { action: string }[];
    };
    expect(doc.account.email).toBe(u.user.email);
    expect(doc.profile).toMatchObject({ ssn: '123-45-6789', medicalInfo: { allergies: ['penicillin'] } });
    expect(doc.apiKeys.map((k) => k.id)).toEqual([key.id]);
    expect(text).not.toContain(key.key);
    expect(text).not.toMatch(/hmac-sha256|argon2id|password_hash|passwordHash/);
    expect(doc.sessions.length).toBeGreaterThanOrEqual(1);
    expect(doc.auditEvents.map((e) => e.action)).toEqual(
      expect.arrayContaining(['auth.register', 'profile.update', 'api_key.create']),
    );
    expect(
      await adminQuery(db, `SELECT 1 FROM audit_events WHERE action = 'profile.export' AND actor_id = $1`, [u.userId]),
    ).toHaveLength(1);
    const narrow = await createKey(t, u.token, { scopes: ['profiles:read'] });
    expect((await t.request('/v1/profiles/me/export', withKey(narrow.key))).status).toBe(403);
  });

  it('erasure with the password: account, profile, keys and sessions gone, audit events pseudonymised, chain intact', async () => {
    const u = await registerAndLogin(t);
    await put(t, u.token, PROFILE);
    const key = await createKey(t, u.token);
    expect((await t.request('/v1/me', withKey(key.key))).status).toBe(200); // cached
    const erase = (password: string) =>
      t.request('/v1/profiles/me', {
        method: 'DELETE',
        headers: { ...bearer(u.token), 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      });
    expect(await problem(await erase('not my password'))).toMatchObject({
      status: 400,
      code: 'CURRENT_PASSWORD_WRONG',
    });
    expect(
      (
        await t.request('/v1/profiles/me', {
          method: 'DELETE',
          headers: { 'x-api-key': key.key, 'content-type': 'application/json' },
          body: JSON.stringify({ password: u.user.password }),
        })
      ).status,
    ).toBe(403);
    const bystander = await registerAndLogin(t);
    const bystanderKey = await createKey(t, bystander.token);
    expect((await t.request('/v1/me', withKey(bystanderKey.key))).status).toBe(200); // both keys' uses wait in the same batch
    const res = await erase(u.user.password);
    expect(res.status).toBe(200);
    const { UsageRecorder } = await import('@app/api-keys');
    await t.app.get(UsageRecorder).flush(); // holds a use of a key that no longer exists: it must not sink the batch
    expect(t.app.get(UsageRecorder).dropped).toBe(0);
    const [b] = await adminQuery<{ total_requests: string }>(
      db,
      'SELECT total_requests::text FROM api_keys WHERE id = $1',
      [bystanderKey.id],
    );
    expect(Number(b.total_requests)).toBeGreaterThanOrEqual(1);
    const { pseudonym } = (await res.json()) as { pseudonym: string };
    expect(pseudonym).toMatch(/^erased-[0-9a-f]{16}$/);
    expect(await problem(await t.request('/v1/me', withKey(key.key)))).toMatchObject({
      status: 401,
      code: 'API_KEY_INVALID',
    });
    expect((await t.request('/v1/me', { headers: bearer(u.token) })).status).toBe(401);
    expect(
      (await t.request('/v1/auth/login', jsonPost({ email: u.user.email, password: u.user.password }))).status,
    ).toBe(401);
    for (const table of ['users', 'profiles', 'api_keys', 'sessions']) {
      const col = table === 'users' ? 'id' : table === 'profiles' || table === 'sessions' ? 'user_id' : 'owner_id';
      expect({
        table,
        rows: (await adminQuery(db, `SELECT 1 FROM ${table} WHERE ${col} = $1`, [u.userId])).length,
      }).toEqual({ table, rows: 0 });
    }
    const mentions = await adminQuery(
      db,
      `SELECT id FROM audit_events WHERE actor_id = $1 OR target_id = $1 OR details::text LIKE $2`,
      [u.userId, `%${u.user.email}%`],
    );
    expect(mentions).toHaveLength(0);
    expect(await adminQuery(db, 'SELECT 1 FROM outbox_messages WHERE recipient = $1', [u.user.email])).toHaveLength(0);
    expect(
      (await adminQuery(db, `SELECT 1 FROM audit_events WHERE actor_id = $1 OR target_id = $1`, [pseudonym])).length,
    ).toBeGreaterThanOrEqual(3);
    const { AuditService } = await import('@app/audit');
    expect(await t.app.get(AuditService).verify()).toMatchObject({ ok: true });
  });

  it('a rewrap leaves a tampered row alone (audited, still failing its check) and moves every other one', async () => {
    const tampered = await adminQuery<{ user_id: string }>(
      db,
      `SELECT user_id FROM profiles WHERE phone = '+1 555 0100'`,
    );
    expect(tampered.length).toBeGreaterThanOrEqual(1); // from the integrity test above
    const t3 = await startTestApp({ db, env: { ENCRYPTION_KEYS: `${V2},${V1}` } });
    try {
      const { RewrapService } = await import('@app/encryption');
      const result = await t3.app.get(RewrapService).run(2);
      expect(result).toMatchObject({ state: 'done', skipped: tampered.length, remaining: tampered.length });
      const left = await adminQuery<{ user_id: string }>(db, 'SELECT user_id FROM profiles WHERE key_version = 1');
      expect(left.map((r) => r.user_id).sort()).toEqual(tampered.map((r) => r.user_id).sort());
      expect(
        await adminQuery(
          db,
          `SELECT 1 FROM audit_events WHERE action = 'profile.integrity_failed' AND details->>'during' = 'rewrap'`,
        ),
      ).toHaveLength(tampered.length);
    } finally {
      await t3.close();
    }
  });

  it('after adding a key version, a rewrap killed mid-way and run again moves all 10,000 profiles; retiring is refused until then', async () => {
    // A database of its own: the rows tampered with above are (rightly) never rewrapped.
    const db = await createTestDatabase();
    const t = await startTestApp({ db, env: { ENCRYPTION_KEYS: V1 } });
    // 10,000 users with profiles sealed under v1 by the service's own codec, inserted in bulk.
    const tag = randomBytes(3).toString('hex');
    await adminQuery(
      db,
      `INSERT INTO users (email, username, password_hash, scopes, password_changed_at)
      SELECT 'bulk' || i || '.${tag}@example.com', 'bulk_${tag}_' || i, 'x', '{}', now() FROM generate_series(1, 10000) i`,
    );
    const users = await adminQuery<{ id: string }>(
      db,
      `SELECT id FROM users WHERE email LIKE 'bulk%.${tag}@example.com'`,
    );
    expect(users).toHaveLength(10_000);
    const seal = await sealer(t);
    for (let i = 0; i < users.length; i += 1000) {
      const rows = users
        .slice(i, i + 1000)
        .map((u, j) =>
          seal(
            u.id,
            `${String(100 + ((i + j) % 800)).padStart(3, '0')}-12-${String(1000 + ((i + j) % 9000)).padStart(4, '0')}`,
          ),
        );
      await adminQuery(db, `INSERT INTO profiles SELECT * FROM json_populate_recordset(NULL::profiles, $1::json)`, [
        JSON.stringify(rows),
      ]);
    }
    // A second instance with v2 added: new writes use v2 at once; old rows still read.
    const t2 = await startTestApp({ db, env: { ENCRYPTION_KEYS: `${V2},${V1}` } });
    const cliEnv = cleanEnv({
      DATABASE_URL: db.appUrl,
      MIGRATIONS_DATABASE_URL: db.ownerUrl,
      DATA_DIR: t2.dataDir,
      ENCRYPTION_KEYS: `${V2},${V1}`,
      // The pepper the instances on this database share (t2 was given it, so its DATA_DIR holds none).
      API_KEY_PEPPERS: t2.app.get(SecretStore).require('API_KEY_PEPPERS'),
    });
    try {
      const admin = await userWithScopes(t2, ['admin:all']);
      expect(
        await problem(await t2.request('/v1/admin/keyring/retire', jsonPost({ version: 1 }, bearer(admin.token)))),
      ).toMatchObject({ status: 409, code: 'KEY_VERSION_IN_USE' });
      const before = (await (await t2.request('/v1/admin/keyring', { headers: bearer(admin.token) })).json()) as {
        ciphertexts: { profiles: Record<string, number> };
      };
      expect(before.ciphertexts.profiles.v1).toBeGreaterThanOrEqual(10_000);

      // Crash: kill -9 the CLI rewrap once it has made progress.
      const first = spawnNode(CLI_MAIN, ['crypto:rewrap', '--batch', '100'], cliEnv);
      await waitFor(
        async () =>
          Number(
            (await adminQuery<{ n: string }>(db, 'SELECT count(*)::text AS n FROM profiles WHERE key_version = 2'))[0]
              .n,
          ) >= 1000
            ? true
            : undefined,
        60_000,
        50,
      );
      first.child.kill('SIGKILL');
      await first.exited;
      const [mid] = await adminQuery<{ v1: string; v2: string }>(
        db,
        `SELECT count(*) FILTER (WHERE key_version = 1)::text AS v1, count(*) FILTER (WHERE key_version = 2)::text AS v2 FROM profiles`,
      );
      expect(Number(mid.v1)).toBeGreaterThan(0); // it really stopped in the middle
      expect(Number(mid.v1) + Number(mid.v2)).toBe(await profileCount(db));

      const second = spawnNode(CLI_MAIN, ['crypto:rewrap', '--json'], cliEnv);
      expect(await second.exited).toBe(0);
      expect(await second.json()).toMatchObject({ state: 'done', remaining: 0 });
      const [after] = await adminQuery<{ v1: string }>(
        db,
        `SELECT count(*) FILTER (WHERE key_version = 1)::text AS v1 FROM profiles`,
      );
      expect(Number(after.v1)).toBe(0);

      // Every profile still decrypts and passes its MAC (sampled through the API, all through the store's count).
      const sample = users.filter((_, i) => i % 500 === 0);
      for (const u of sample) {
        const res = await t2.request(`/v1/profiles/${u.id}?reveal=true`, { headers: bearer(admin.token) });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { ssn: string }).ssn).toMatch(/^\d{3}-\d{2}-\d{4}$/);
      }
      const retired = await t2.request('/v1/admin/keyring/retire', jsonPost({ version: 1 }, bearer(admin.token)));
      expect(await retired.json()).toEqual({ minDecryptionVersion: 2 });
      const status = (await (await t2.request('/v1/admin/keyring', { headers: bearer(admin.token) })).json()) as {
        versions: { version: number; decrypts: boolean }[];
      };
      expect(status.versions).toEqual([
        expect.objectContaining({ version: 1, decrypts: false }),
        expect.objectContaining({ version: 2, decrypts: true }),
      ]);
    } finally {
      await t2.close();
      await t.close();
      await db.drop();
    }
  }, 180_000);
});

async function profileCount(db: TestDatabase): Promise<number> {
  return Number((await adminQuery<{ n: string }>(db, 'SELECT count(*)::text AS n FROM profiles'))[0].n);
}

/** Seals profile rows with the running app's own codec (what PUT /profiles/me does), for bulk insertion. */
async function sealer(t: TestApp): Promise<(userId: string, ssn: string) => Record<string, unknown>> {
  const { ProfileCodecForTests } = await import('../support/profile-codec');
  const codec = t.app.get(ProfileCodecForTests);
  return (userId, ssn) => {
    const row = Object.assign(new (class {})(), {
      userId,
      displayName: `Bulk ${userId.slice(0, 8)}`,
      phone: null,
      address: null,
      dateOfBirth: null,
    }) as never;
    codec.seal(row, { ssn, cardNumber: '4242424242424242', medicalInfo: { note: 'bulk' } });
    const r = row as Record<string, unknown>;
    return {
      user_id: r.userId,
      display_name: r.displayName,
      phone: null,
      address: null,
      date_of_birth: null,
      ssn_ct: r.ssnCiphertext,
      ssn_last4: r.ssnLast4,
      ssn_blind_index: r.ssnBlindIndex,
      card_ct: r.cardCiphertext,
      card_last4: r.cardLast4,
      medical_ct: r.medicalCiphertext,
      key_version: r.keyVersion,
      integrity_mac: r.integrityMac,
      updated_at: new Date().toISOString(),
    };
  };
}
