import { startTestApp, TestApp } from '../support/app';
import { freshIp, jsonPost, outbox, OutboxRow, STRONG_PASSWORD, tokenIn, uniqueUser } from '../support/auth-helpers';
import { adminQuery, createTestDatabase, TestDatabase } from '../support/database';
import { waitFor } from '../support/ports';

const PAGES = ['/verify-email', '/reset-password'];
const NEW_PASSWORD = 'harbor pepper violin snow';

async function lastMail(t: TestApp, email: string, kind: string): Promise<OutboxRow> {
  return waitFor(async () => (await outbox(t, email)).filter((m) => m.kind === kind).pop(), 5000);
}

async function register(t: TestApp, user = uniqueUser('pg')): Promise<typeof user> {
  const res = await t.request('/v1/auth/register', jsonPost(user, { 'x-forwarded-for': freshIp() }));
  expect(res.status).toBe(202);
  return user;
}

async function verifiedAt(t: TestApp, email: string): Promise<Date | null> {
  const [row] = await adminQuery<{ email_verified_at: Date | null }>(
    t.db,
    'SELECT email_verified_at FROM users WHERE email = $1',
    [email],
  );
  return row.email_verified_at;
}

/** The link a mail carries: `<base>/<page>#token=<43 characters>`, alone on its line. */
function linkIn(body: string, page: string): URL {
  const m = new RegExp(`^(\\S+/${page}#token=[A-Za-z0-9_-]{43})$`, 'm').exec(body);
  if (!m) throw new Error(`no ${page} link in mail: ${body}`);
  return new URL(m[1]);
}

/** Finding 7 of issue 18: mails carry real links to pages the service serves, under its CSP, with no side effect. */
describe('mail links and the account pages', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.stop();
    await db?.drop();
  });

  it.each(PAGES)('%s answers 200 HTML with the CSP, no inline script, no referrer and no caching', async (path) => {
    const res = await t.request(path);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1];
    expect(scriptSrc).toBe("'self'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // Every <script> has a same-origin src and no body; no inline handler or javascript: URL anywhere.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\ssrc="\/pages\/[a-z-]+\.js"/);
      expect(body.trim()).toBe('');
    }
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    expect(html).not.toMatch(/javascript:/i);

    const src = /<script\b[^>]*\ssrc="([^"]+)"/.exec(html)![1];
    const script = await t.request(src);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(script.headers.get('cache-control')).toBe('no-store');
    expect(script.headers.get('content-security-policy')).toBe(csp);
    const code = await script.text();
    // The token is read from the fragment and only ever POSTed.
    expect(code).toContain('location.hash');
    expect(code).toContain("method: 'POST'");
  });

  it('the pages are public (no credential) and only answer GET', async () => {
    for (const path of PAGES) {
      const post = await t.request(path, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET, HEAD');
    }
    expect((await t.request('/pages/nothing.js')).status).toBe(404);
    expect((await t.request('/v1/verify-email')).status).toBe(404);
  });

  it('the verification mail links to the page on the port the service listens on; following it by GET verifies nothing', async () => {
    const user = await register(t);
    const mail = await lastMail(t, user.email, 'auth.verify_email');
    expect(mail.body).not.toMatch(/POST |\/v1\//);
    const link = linkIn(mail.body, 'verify-email');
    // PORT=0 in tests: the link names the port actually bound, not the configured 0 or a default 3000.
    expect(link.origin).toBe(t.url);
    expect(new URL(t.url).port).not.toBe('3000');

    // What a mail scanner does: fetch the link (the fragment stays client-side). A token moved into the query is
    // refused outright (credentials in URLs are), and nothing is verified either way.
    expect((await fetch(link)).status).toBe(200);
    expect((await fetch(`${t.url}/verify-email?token=${tokenIn(mail.body)}`)).status).toBe(400);
    expect((await fetch(`${t.url}/pages/verify-email.js#token=${tokenIn(mail.body)}`)).status).toBe(200);
    expect(await verifiedAt(t, user.email)).toBeNull();

    // The page's script does this: the token still works, once.
    const verify = await t.request('/v1/auth/email/verify', jsonPost({ token: tokenIn(link.hash) }));
    expect(verify.status).toBe(200);
    expect(await verifiedAt(t, user.email)).not.toBeNull();
  });

  it('the reset mail links to the reset page; GET does not use up the token', async () => {
    const user = await register(t);
    expect((await t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }))).status).toBe(202);
    const mail = await lastMail(t, user.email, 'auth.reset_password');
    expect(mail.body).not.toMatch(/POST |\/v1\//);
    const link = linkIn(mail.body, 'reset-password');
    expect(link.origin).toBe(t.url);
    expect((await fetch(link)).status).toBe(200);
    expect((await fetch(`${t.url}/reset-password?token=${tokenIn(link.hash)}`)).status).toBe(400);

    const reset = await t.request(
      '/v1/auth/password/reset',
      jsonPost({ token: tokenIn(link.hash), newPassword: NEW_PASSWORD }),
    );
    expect(reset.status).toBe(200);
    const login = await t.request(
      '/v1/auth/login',
      jsonPost({ email: user.email, password: NEW_PASSWORD }, { 'x-forwarded-for': freshIp() }),
    );
    expect(login.status).toBe(200);
  });

  it('no access log line holds a mail token', async () => {
    const user = await register(t);
    const token = tokenIn((await lastMail(t, user.email, 'auth.verify_email')).body);
    await fetch(linkIn((await lastMail(t, user.email, 'auth.verify_email')).body, 'verify-email'));
    expect(t.logs.text).not.toContain(token);
  });
});

describe('PUBLIC_URL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it.each([
    [{ PUBLIC_URL: 'https://accounts.example.com/' }, 'https://accounts.example.com'],
    [{ PUBLIC_BASE_URL: 'https://old-name.example.com' }, 'https://old-name.example.com'],
    [
      { PUBLIC_URL: 'https://accounts.example.com/base', PUBLIC_BASE_URL: 'https://old-name.example.com' },
      'https://accounts.example.com/base',
    ],
  ])('%j: mail links start with %s', async (env, base) => {
    const t = await startTestApp({ db, env });
    try {
      const user = await register(t, { ...uniqueUser('pu'), password: STRONG_PASSWORD });
      const body = (await lastMail(t, user.email, 'auth.verify_email')).body;
      expect(body).toContain(`\n${base}/verify-email#token=`);
      expect((await t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }))).status).toBe(202);
      expect((await lastMail(t, user.email, 'auth.reset_password')).body).toContain(`\n${base}/reset-password#token=`);
    } finally {
      await t.stop();
    }
  });
});
