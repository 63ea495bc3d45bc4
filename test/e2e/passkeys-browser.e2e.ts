import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';
import { bearer, freshIp, jsonPost, registerAndLogin, uniqueUser } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { problem } from '../support/key-helpers';
import { chromiumAvailable, launchChromium } from '../support/browser';

/**
 * Passkeys in a real Chromium (issue 19): a CDP virtual authenticator (ctap2, internal, resident keys, user
 * verification) registers a passkey on the service's /passkeys page, signs in with it as a second factor and, with
 * PASSKEY_LOGIN, without a password. A replayed ceremony and a wrong origin are refused. RP ID and origin come from
 * PUBLIC_URL: the service listens on `localhost` (a secure context over plain HTTP; an IP address is no RP ID).
 */
describe('passkeys in Chromium with a virtual authenticator', () => {
  const available = chromiumAvailable();
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let cdp: CDPSession;
  let problems: string[];

  beforeAll(async () => {
    if (!available) return;
    t = await startTestApp({
      env: { HOST: 'localhost', PASSKEY_LOGIN: 'true', IP_LIMIT_LOGIN: '1000', IP_LIMIT_REAUTHENTICATE: '1000' },
    });
    browser = await launchChromium();
  });
  beforeEach(async () => {
    if (!available) return;
    problems = [];
    context = await browser.newContext();
    page = await context.newPage();
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
  });
  afterEach(async () => {
    await context?.close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const itBrowser = (name: string, fn: () => Promise<void>) =>
    it(name, async () => (available ? fn() : undefined), 60_000);

  async function status(): Promise<string> {
    await page.waitForSelector('#status[data-state="ok"], #status[data-state="error"]', { timeout: 15_000 });
    return (await page.textContent('#status')) ?? '';
  }

  async function registerPasskey(token: string): Promise<string> {
    await page.goto(`${t.url}/passkeys#session=${token}`);
    expect(page.url()).toBe(`${t.url}/passkeys`); // the token left the address bar
    await page.fill('#name', 'Virtual key');
    await page.click('#register');
    const text = await status();
    expect(`${await page.getAttribute('#status', 'data-state')}: ${text}`).toMatch(/^ok: /);
    return text;
  }

  itBrowser('registers a passkey on the page, then signs in with it as a second factor', async () => {
    const u = await registerAndLogin(t, uniqueUser('pk'));
    const text = await registerPasskey(u.token);
    expect(text).toMatch(/Passkey registered\. Keep these recovery codes/);
    const factors = (await (await t.request('/v1/auth/mfa', { headers: bearer(u.token) })).json()) as {
      factors: { kind: string; name: string }[];
    };
    expect(factors.factors).toEqual([expect.objectContaining({ kind: 'webauthn', name: 'Virtual key' })]);

    const first = (await (
      await t.request(
        '/v1/auth/login',
        jsonPost({ email: u.user.email, password: u.user.password }, { 'x-forwarded-for': freshIp() }),
      )
    ).json()) as { mfaRequired: boolean; mfaToken: string; methods: string[] };
    expect(first).toMatchObject({ mfaRequired: true, methods: ['recoveryCode', 'webauthn'] });
    await page.goto('about:blank'); // a new document: a fragment change alone would not run the page again
    await page.goto(`${t.url}/passkeys#mfaToken=${first.mfaToken}`);
    await page.click('#second');
    expect(await status()).toBe(`Signed in as ${u.user.email}.`);
    const token = (await page.textContent('#token')) ?? '';
    const me = (await (await t.request('/v1/me', { headers: bearer(token) })).json()) as { aal: string };
    expect(me.aal).toBe('aal2');
    // The counter moved forward.
    const [row] = await adminQuery<{ sign_count: string }>(
      t.db,
      `SELECT sign_count FROM mfa_factors WHERE user_id = $1 AND kind = 'webauthn'`,
      [u.userId],
    );
    expect(Number(row.sign_count)).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  itBrowser('passwordless sign-in with the discoverable passkey when PASSKEY_LOGIN is on', async () => {
    const u = await registerAndLogin(t, uniqueUser('pl'));
    await registerPasskey(u.token);
    await page.goto('about:blank');
    await page.goto(`${t.url}/passkeys`);
    await page.click('#passwordless');
    expect(await status()).toBe(`Signed in as ${u.user.email}.`);
    const token = (await page.textContent('#token')) ?? '';
    expect(((await (await t.request('/v1/me', { headers: bearer(token) })).json()) as { aal: string }).aal).toBe(
      'aal2',
    );
    expect(problems).toEqual([]);
  });

  itBrowser('a replayed assertion and an assertion made for another origin are refused', async () => {
    const u = await registerAndLogin(t, uniqueUser('rp'));
    await registerPasskey(u.token);
    // Capture one real passwordless assertion from the page (the browser's own JSON), without letting the page send it.
    await page.goto(`${t.url}/passkeys`);
    const assertion = (await page.evaluate(`(async () => {
      const options = await (await fetch('/v1/auth/passkey/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
      const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      return credential.toJSON();
    })()`)) as { response: { clientDataJSON: string } };
    const send = (webauthn: unknown) =>
      t.request('/v1/auth/passkey/login', jsonPost({ webauthn }, { 'x-forwarded-for': freshIp() }));
    // A wrong origin: the same assertion with its clientDataJSON naming another origin (the service checks the origin
    // against PUBLIC_URL, and the signature over the altered clientDataJSON fails as well). Refused, and its challenge,
    // shared with the genuine assertion, is spent: replaying the genuine one afterwards fails too.
    const client = JSON.parse(Buffer.from(assertion.response.clientDataJSON, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const forged = {
      ...assertion,
      response: {
        ...assertion.response,
        clientDataJSON: Buffer.from(JSON.stringify({ ...client, origin: 'https://evil.example' })).toString(
          'base64url',
        ),
      },
    };
    expect((await problem(await send(forged))).code).toBe('SECOND_FACTOR_INVALID');
    expect((await problem(await send(assertion))).code).toBe('SECOND_FACTOR_INVALID');
    // A fresh genuine assertion works, and replaying it fails.
    const fresh = (await page.evaluate(`(async () => {
      const options = await (await fetch('/v1/auth/passkey/options', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
      const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      return credential.toJSON();
    })()`)) as unknown;
    expect((await send(fresh)).status).toBe(200);
    expect((await problem(await send(fresh))).code).toBe('SECOND_FACTOR_INVALID');
    expect(problems).toEqual([]);
  });
});
