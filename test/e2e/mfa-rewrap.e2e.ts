import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { RewrapService } from '@app/encryption';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, registerAndLogin, uniqueUser } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { problem } from '../support/key-helpers';
import { TestClock } from '../support/test-clock';

const V1 = `v1:${randomBytes(32).toString('base64')}`;
const V2 = `v2:${randomBytes(32).toString('base64')}`;

/**
 * TOTP secrets and the keyring (issue 19): sealed under the current key version with their own purpose and AAD,
 * counted and rewrapped with the other ciphertexts; a secret moved to another factor's row does not decrypt (it is
 * skipped by the rewrap and audited, and no code matches it), and nothing of a factor reaches the logs.
 */
describe('second-factor secrets under the keyring (real PostgreSQL)', () => {
  let db: TestDatabase;
  const clock = new TestClock();
  const apps: TestApp[] = [];
  afterAll(async () => {
    for (const t of apps) await t.close();
    await db?.drop();
  });

  async function enrol(t: TestApp) {
    const u = await registerAndLogin(t, uniqueUser('rw'));
    const start = (await (await t.request('/v1/auth/mfa/totp', jsonPost({}, bearer(u.token)))).json()) as {
      secret: string;
      factorId: string;
    };
    const code = TOTP.generate({ secret: Secret.fromBase32(start.secret), timestamp: clock.now().getTime() });
    expect((await t.request('/v1/auth/mfa/totp/confirm', jsonPost({ code }, bearer(u.token)))).status).toBe(200);
    return { ...u, secret: start.secret, factorId: start.factorId };
  }

  async function signIn(t: TestApp, email: string, password: string, secret: string) {
    const first = (await (
      await t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': freshIp() }))
    ).json()) as { mfaToken: string };
    const totp = TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: clock.now().getTime() });
    return t.request(
      '/v1/auth/login/mfa',
      jsonPost({ mfaToken: first.mfaToken, totp }, { 'x-forwarded-for': freshIp() }),
    );
  }

  it('rewraps TOTP secrets to a new key version; codes still work; a moved secret is skipped and matches nothing', async () => {
    db = await createTestDatabase();
    const t1 = await startTestApp({ db, clock, env: { ENCRYPTION_KEYS: V1 } });
    apps.push(t1);
    const a = await enrol(t1);
    const b = await enrol(t1);
    // b's row gets a's sealed secret: its AAD names a's user and factor, so it must not open as b's.
    await adminQuery(
      db,
      `UPDATE mfa_factors SET secret_ct = (SELECT secret_ct FROM mfa_factors WHERE id = $1) WHERE id = $2`,
      [a.factorId, b.factorId],
    );
    const versions = () =>
      adminQuery<{ id: string; key_version: number }>(db, 'SELECT id, key_version FROM mfa_factors ORDER BY id');
    expect((await versions()).every((r) => r.key_version === 1)).toBe(true);

    const t2 = await startTestApp({ db, clock, env: { ENCRYPTION_KEYS: `${V2},${V1}` } });
    apps.push(t2);
    const state = await t2.app.get(RewrapService).run();
    expect(state).toMatchObject({ state: 'done' });
    const after = await versions();
    expect(after.find((r) => r.id === a.factorId)?.key_version).toBe(2);
    expect(after.find((r) => r.id === b.factorId)?.key_version).toBe(1); // skipped, not laundered
    const audit = await adminQuery<{ target_id: string }>(
      db,
      `SELECT target_id FROM audit_events WHERE action = 'mfa.secret_integrity_failed'`,
    );
    expect(audit.map((r) => r.target_id)).toContain(b.factorId);

    clock.advance(30_000); // past the confirming codes' step
    expect((await signIn(t2, a.user.email, a.user.password, a.secret)).status).toBe(200);
    // b's row holds a's secret: a's code does not open it, nor does b's own.
    expect((await problem(await signIn(t2, b.user.email, b.user.password, a.secret))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    expect((await problem(await signIn(t2, b.user.email, b.user.password, b.secret))).code).toBe(
      'SECOND_FACTOR_INVALID',
    );
    // The keyring's count names the store.
    expect((await t2.app.get(RewrapService).run()).remaining).toBe(1);
  });
});
