import { PersistentEncryptionCounter } from '@app/encryption';
import { startTestApp, TestApp } from '../support/app';
import { bearer, jsonPost, registerAndLogin } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { createKey, problem, userWithScopes } from '../support/key-helpers';
import { waitFor } from '../support/ports';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('encryption as a service and the keyring (real PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.stop());

  async function caller(scopes = ['crypto:encrypt', 'crypto:decrypt', 'crypto:rewrap', 'crypto:hmac']) {
    const u = await userWithScopes(t, scopes);
    const key = await createKey(t, u.token, { scopes });
    const call = async (path: string, body: Record<string, unknown>) => {
      const res = await t.request(`/v1/crypto/${path}`, jsonPost(body, { 'x-api-key': key.key }));
      return { status: res.status, body: (await res.json()) as Record<string, string> & { code?: string } };
    };
    return { ...u, key, call };
  }

  it('encrypts and decrypts for the same caller and context only; failures are one generic error', async () => {
    const a = await caller();
    const b = await caller();
    const sealed = await a.call('encrypt', {
      context: 'invoices/2026',
      plaintext: b64('IBAN DE89 3704 0044 0532 0130 00'),
    });
    expect(sealed.status).toBe(200);
    expect(sealed.body.keyVersion).toBe(1);
    expect(sealed.body.ciphertext).not.toContain(b64('IBAN'));
    const opened = await a.call('decrypt', { context: 'invoices/2026', ciphertext: sealed.body.ciphertext });
    expect(Buffer.from(opened.body.plaintext, 'base64').toString()).toBe('IBAN DE89 3704 0044 0532 0130 00');
    const wrongContext = await a.call('decrypt', { context: 'invoices/2025', ciphertext: sealed.body.ciphertext });
    const otherCaller = await b.call('decrypt', { context: 'invoices/2026', ciphertext: sealed.body.ciphertext });
    const flipped =
      sealed.body.ciphertext.slice(0, 60) +
      (sealed.body.ciphertext[60] === 'A' ? 'B' : 'A') +
      sealed.body.ciphertext.slice(61);
    const tampered = await a.call('decrypt', { context: 'invoices/2026', ciphertext: flipped });
    const truncated = await a.call('decrypt', {
      context: 'invoices/2026',
      ciphertext: sealed.body.ciphertext.slice(0, 50),
    });
    for (const r of [wrongContext, otherCaller, tampered, truncated]) {
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('DECRYPTION_FAILED');
      expect(r.body.detail).toBe('The ciphertext cannot be decrypted in this context.');
    }
  });

  it('rewraps without revealing plaintext, signs and verifies HMACs', async () => {
    const a = await caller();
    const sealed = await a.call('encrypt', { context: 'c', plaintext: b64('secret') });
    const rewrapped = await a.call('rewrap', { context: 'c', ciphertext: sealed.body.ciphertext });
    expect(Object.keys(rewrapped.body).sort()).toEqual(['ciphertext', 'keyVersion']);
    expect(rewrapped.body.ciphertext).not.toBe(sealed.body.ciphertext);
    expect(
      Buffer.from(
        (await a.call('decrypt', { context: 'c', ciphertext: rewrapped.body.ciphertext })).body.plaintext,
        'base64',
      ).toString(),
    ).toBe('secret');
    const mac = await a.call('hmac', { context: 'webhooks', data: b64('payload') });
    expect(mac.body.mac).toMatch(/^v1\./);
    expect((await a.call('verify', { context: 'webhooks', data: b64('payload'), mac: mac.body.mac })).body).toEqual({
      valid: true,
    });
    expect((await a.call('verify', { context: 'webhooks', data: b64('payload!'), mac: mac.body.mac })).body).toEqual({
      valid: false,
    });
  });

  it('each operation needs its scope (rewrap alone cannot read plaintext)', async () => {
    const full = await caller();
    const sealed = await full.call('encrypt', { context: 'c', plaintext: b64('x') });
    const rewrapOnly = await caller(['crypto:rewrap']);
    expect((await rewrapOnly.call('decrypt', { context: 'c', ciphertext: sealed.body.ciphertext })).body.code).toBe(
      'INSUFFICIENT_SCOPES',
    );
    expect((await rewrapOnly.call('encrypt', { context: 'c', plaintext: b64('x') })).body.code).toBe(
      'INSUFFICIENT_SCOPES',
    );
    const { token } = await registerAndLogin(t);
    expect(
      await problem(
        await t.request('/v1/crypto/encrypt', jsonPost({ context: 'c', plaintext: b64('x') }, bearer(token))),
      ),
    ).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES' });
  });

  it('validates contexts, base64 and envelopes', async () => {
    const a = await caller();
    for (const body of [
      { context: 'bad context!', plaintext: b64('x') },
      { context: 'c', plaintext: 'not base64 ***' },
      { context: 'c' },
      { context: 'c', plaintext: b64('x'), extra: 1 },
    ]) {
      expect((await a.call('encrypt', body)).body.code).toBe('VALIDATION_FAILED');
    }
    expect((await a.call('decrypt', { context: 'c', ciphertext: 'short' })).body.code).toBe('VALIDATION_FAILED');
  });

  it('counts encryptions per key version in the database and reports them on the keyring endpoint (admin only)', async () => {
    const a = await caller();
    for (let i = 0; i < 5; i++) await a.call('encrypt', { context: 'count', plaintext: b64(`n${i}`) });
    await t.app.get(PersistentEncryptionCounter).flush();
    const [row] = await adminQuery<{ encryptions: string }>(
      t.db,
      'SELECT encryptions::text FROM encryption_counters WHERE key_version = 1',
    );
    expect(Number(row.encryptions)).toBeGreaterThanOrEqual(5);
    const admin = await userWithScopes(t, ['admin:all']);
    const res = await t.request('/v1/admin/keyring', { headers: bearer(admin.token) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      current: number;
      versions: { version: number; encryptions: number; encrypts: boolean }[];
    };
    expect(body.current).toBe(1);
    expect(body.versions[0]).toMatchObject({ version: 1, encrypts: true, encryptions: Number(row.encryptions) });
    expect((await t.request('/v1/admin/keyring', { headers: bearer(a.token) })).status).toBe(403);
  });

  it('an admin starts a rewrap over HTTP: the answer is the run itself (running), its end shows on the keyring endpoint', async () => {
    const admin = await userWithScopes(t, ['admin:all']);
    const a = await userWithScopes(t, ['crypto:rewrap']);
    expect(
      await problem(await t.request('/v1/admin/keyring/rewrap', { method: 'POST', headers: bearer(a.token) })),
    ).toMatchObject({ status: 403, code: 'INSUFFICIENT_SCOPES' });
    const started = await t.request('/v1/admin/keyring/rewrap', { method: 'POST', headers: bearer(admin.token) });
    expect(started.status).toBe(202);
    expect(await started.json()).toMatchObject({ state: 'running', targetVersion: 1, rewrapped: 0, finishedAt: null });
    const done = await waitFor(async () => {
      const s = (await (await t.request('/v1/admin/keyring', { headers: bearer(admin.token) })).json()) as {
        rewrap: { state: string; remaining: number };
      };
      return s.rewrap.state === 'done' ? s.rewrap : undefined;
    }, 5000);
    expect(done).toMatchObject({ state: 'done', remaining: 0 });
  });
});
