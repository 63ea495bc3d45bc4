import {
  createSecurityClient,
  isProblem,
  ProblemError,
  type Schema,
  type SecurityClient,
  unwrap,
} from '../../packages/client/src';
import { startTestApp, TestApp } from '../support/app';
import { freshIp, uniqueUser, verifyEmail } from '../support/auth-helpers';
import { issue, pki } from '../support/certs';
import { userWithScopes } from '../support/key-helpers';
import { checkAnswer } from '../support/openapi-answers';

/** Compile-time: the generated types say what the document says (UpdateProfileDto's fields are strings). */
type Assert<T extends true> = T;
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
export type ProfileFieldsAreStrings = Assert<
  Equal<Schema<'UpdateProfileDto'>['displayName' | 'phone' | 'address' | 'ssn'], string | null | undefined>
>;

/**
 * The typed client (packages/client) against the real service: one full flow per module, every answer also checked
 * against the OpenAPI document. If the client, its generated types or the service drift apart, this fails.
 */
describe('typed client: a full flow per module (real PostgreSQL, real HTTP)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEY_JOBS_INTERVAL_MS: '0' } });
  });
  afterAll(() => t?.stop());

  /** The client as a caller builds it, its fetch also validating each answer against the document. */
  function client(credential: { session?: string; apiKey?: string } = {}, ip = freshIp()): SecurityClient {
    return createSecurityClient({
      baseUrl: t.url,
      ...credential,
      headers: { 'x-forwarded-for': ip },
      fetch: async (request: Request) => {
        const res = await fetch(request);
        const url = new URL(request.url);
        await checkAnswer(request.method, `${url.pathname}${url.search}`, res);
        return res;
      },
    });
  }

  it('auth: register, verify, log in, who am I, sessions, wrong password as a typed problem, log out', async () => {
    const user = uniqueUser('client');
    const anonymous = client();
    const registered = await unwrap(anonymous.POST('/v1/auth/register', { body: user }));
    expect(registered).toBeDefined();
    await verifyEmail(t, user.email);
    const wrong = await anonymous
      .POST('/v1/auth/login', { body: { email: user.email, password: 'definitely not it' } })
      .then((r) => unwrap(r as never))
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ProblemError);
    expect(isProblem(wrong, 'INVALID_CREDENTIALS')).toBe(true);
    const login = await unwrap(
      anonymous.POST('/v1/auth/login', { body: { email: user.email, password: user.password } }),
    );
    // The answer is a session or, for an account with a second factor, a challenge (this user has none).
    if (!('token' in login)) throw new Error('expected a session, got a second-factor challenge');
    const me = client({ session: login.token });
    expect((await unwrap(me.GET('/v1/me'))).email).toBe(user.email);
    expect((await unwrap(me.GET('/v1/auth/sessions'))).items).toHaveLength(1);
    await unwrap(me.POST('/v1/auth/logout'));
    await expect(unwrap(me.GET('/v1/me'))).rejects.toMatchObject({ status: 401 });
  });

  it('api-keys: create, search, rotate, verify from another service, revoke', async () => {
    const owner = await userWithScopes(t, ['keys:verify']);
    const me = client({ session: owner.token });
    const created = await unwrap(
      me.POST('/v1/api-keys', { body: { name: 'client billing', scopes: ['profiles:read'], expiresInDays: 30 } }),
    );
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const found = await unwrap(me.GET('/v1/api-keys', { params: { query: { q: 'billing', limit: 5 } } }));
    expect(found.items.map((k) => k.id)).toEqual([created.id]);
    const rotated = await unwrap(
      me.POST('/v1/api-keys/{id}/rotate', { params: { path: { id: created.id } }, body: { gracePeriodHours: 0 } }),
    );
    const verifier = await unwrap(me.POST('/v1/api-keys', { body: { name: 'verifier', scopes: ['keys:verify'] } }));
    const service = client({ apiKey: verifier.key });
    const verdict = await unwrap(
      service.POST('/v1/keys/verify', { body: { key: rotated.key, requiredScopes: ['profiles:read'] } }),
    );
    expect(verdict).toMatchObject({ valid: true });
    await unwrap(me.DELETE('/v1/api-keys/{id}', { params: { path: { id: rotated.id } } }));
    expect(await unwrap(service.POST('/v1/keys/verify', { body: { key: rotated.key } }))).toMatchObject({
      valid: false,
    });
    // One credential per client, as the service wants it.
    expect(() => createSecurityClient({ baseUrl: t.url, session: 'a', apiKey: 'b' })).toThrow(/one credential/);
  });

  it('crypto: encrypt and decrypt with a key', async () => {
    const owner = await userWithScopes(t, ['crypto:encrypt', 'crypto:decrypt']);
    const key = await unwrap(
      client({ session: owner.token }).POST('/v1/api-keys', {
        body: { name: 'transit', scopes: ['crypto:encrypt', 'crypto:decrypt'] },
      }),
    );
    const machine = client({ apiKey: key.key });
    const plaintext = Buffer.from('invoice 42').toString('base64');
    const sealed = await unwrap(machine.POST('/v1/crypto/encrypt', { body: { context: 'invoices/2026', plaintext } }));
    const opened = await unwrap(
      machine.POST('/v1/crypto/decrypt', { body: { context: 'invoices/2026', ciphertext: sealed.ciphertext } }),
    );
    expect(opened.plaintext).toBe(plaintext);
    const wrongContext = await unwrap(
      machine.POST('/v1/crypto/decrypt', { body: { context: 'invoices/2027', ciphertext: sealed.ciphertext } }),
    ).catch((e: unknown) => e);
    expect(wrongContext).toBeInstanceOf(ProblemError);
  });

  it('profiles: write nullable strings and read them back', async () => {
    const owner = await userWithScopes(t);
    const me = client({ session: owner.token });
    const written = await unwrap(
      me.PUT('/v1/profiles/me', { body: { displayName: 'Ada Client', phone: '+44 20 7946 0958', address: null } }),
    );
    expect(written.displayName).toBe('Ada Client');
    const read = await unwrap(me.GET('/v1/profiles/me'));
    expect(read.displayName).toBe('Ada Client');
    expect(read.phone).toMatch(/0958$/);
    expect(read.address).toBeNull();
  });

  it('certificates: add a PEM, list, read, delete', async () => {
    const owner = await userWithScopes(t, ['certificates:read', 'certificates:write']);
    const me = client({ session: owner.token });
    const { intermediate } = await pki();
    const leaf = await issue(intermediate, { cn: 'client.test', dns: ['client.test'] });
    const added = await unwrap(me.POST('/v1/certificates', { body: { pem: leaf.pem, label: 'client' } }));
    const listed = await unwrap(me.GET('/v1/certificates', { params: { query: { limit: 10 } } }));
    expect(listed.items.map((c) => c.id)).toContain(added.id);
    expect((await unwrap(me.GET('/v1/certificates/{id}', { params: { path: { id: added.id } } }))).id).toBe(added.id);
    await unwrap(me.DELETE('/v1/certificates/{id}', { params: { path: { id: added.id } } }));
  });

  it('audit and core: my events and security activity, the scope catalogue, health', async () => {
    const owner = await userWithScopes(t);
    const me = client({ session: owner.token });
    const events = await unwrap(me.GET('/v1/audit/events', { params: { query: { type: 'auth.login', limit: 5 } } }));
    expect(events.items[0]).toMatchObject({ action: 'auth.login', actorId: owner.userId });
    const activity = await unwrap(me.GET('/v1/me/security-activity'));
    expect(activity.signIns[0]).toMatchObject({ outcome: 'success', factor: 'password' });
    const scopes = await unwrap(me.GET('/v1/scopes'));
    expect(scopes.items.map((s) => s.scope)).toContain('audit:read');
    expect((await unwrap(client().GET('/health/live'))).status).toBe('ok');
    const badCursor = await unwrap(me.GET('/v1/audit/events', { params: { query: { cursor: 'forged' } } })).catch(
      (e: unknown) => e,
    );
    expect(isProblem(badCursor, 'INVALID_CURSOR')).toBe(true);
  });
});
