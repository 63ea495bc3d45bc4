import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';
import { freshIp, jsonPost, outbox, OutboxRow, uniqueUser } from '../support/auth-helpers';
import { adminQuery } from '../support/database';
import { waitFor } from '../support/ports';
import { chromiumAvailable, launchChromium } from '../support/browser';

const WEAK_PASSWORD = 'password1234';
const NEW_PASSWORD = 'harbor pepper violin snow';

/** The link alone on its line in the last mail of a kind: `<PUBLIC_URL>/<page>#token=…`. */
async function linkFromMail(t: TestApp, email: string, kind: string, page: string): Promise<string> {
  const mail = await waitFor<OutboxRow>(
    async () => (await outbox(t, email)).filter((m) => m.kind === kind).pop(),
    5000,
  );
  const m = new RegExp(`^(\\S+/${page}#token=[A-Za-z0-9_-]{43})$`, 'm').exec(mail.body);
  if (!m) throw new Error(`no ${page} link in: ${mail.body}`);
  return m[1];
}

async function loginStatus(t: TestApp, email: string, password: string): Promise<number> {
  const res = await t.request('/v1/auth/login', jsonPost({ email, password }, { 'x-forwarded-for': freshIp() }));
  return res.status;
}

/** Issue 18, "verified email" and finding 7: the mail links, followed in a real Chromium under the service's CSP. */
describe('account pages in a real browser', () => {
  const available = chromiumAvailable();
  let t: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[];
  /** Every request the browser sent, to check which carried what. */
  let sent: { method: string; url: string; referer?: string }[];

  beforeAll(async () => {
    if (!available) return;
    t = await startTestApp();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    if (!available) return;
    problems = [];
    sent = [];
    context = await browser.newContext();
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
        problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => sent.push({ method: r.method(), url: r.url(), referer: r.headers()['referer'] }));
    // CSP violations are reported as DOM events; collect them where the test can read them (code as text: the test
    // project has no DOM typings).
    await page.addInitScript({
      content: `window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    });
  });
  afterEach(async () => {
    await context?.close();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** No console error, page error or CSP violation, except the answers the page expects (`allowed`). */
  async function expectCleanPage(allowed: RegExp[] = []): Promise<void> {
    expect(problems.filter((p) => !allowed.some((a) => a.test(p)))).toEqual([]);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
  }

  /** The token went out only in a POST body: never in a URL the browser requested, never in a Referer. */
  function expectTokenOnlyPosted(link: string): void {
    const token = new URL(link).hash.slice('#token='.length);
    for (const r of sent) {
      expect(r.url).not.toContain(token);
      expect(r.referer ?? '').not.toContain(token);
    }
  }

  it('the verification link, opened in Chromium, verifies the address and says so', async () => {
    if (!available) return;
    const user = uniqueUser('br');
    expect((await t.request('/v1/auth/register', jsonPost(user, { 'x-forwarded-for': freshIp() }))).status).toBe(202);
    const link = await linkFromMail(t, user.email, 'auth.verify_email', 'verify-email');

    const res = await page.goto(link);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    const status = page.locator('#status');
    await status.and(page.locator('[data-state="ok"]')).waitFor({ timeout: 10_000 });
    expect(await status.innerText()).toContain('Your email address is verified');
    // The token left the address bar once read.
    expect(page.url()).toBe(`${t.url}/verify-email`);

    const [row] = await adminQuery<{ email_verified_at: Date | null }>(
      t.db,
      'SELECT email_verified_at FROM users WHERE email = $1',
      [user.email],
    );
    expect(row.email_verified_at).not.toBeNull();
    expect(sent.filter((r) => r.method === 'POST').map((r) => new URL(r.url).pathname)).toEqual([
      '/v1/auth/email/verify',
    ]);
    expectTokenOnlyPosted(link);
    await expectCleanPage();

    // The same link again: used, and the page says so rather than claiming success.
    problems = [];
    await page.goto('about:blank'); // else the same path with a new fragment is a same-document navigation
    await page.goto(link);
    await status.and(page.locator('[data-state="error"]')).waitFor({ timeout: 10_000 });
    expect(await status.innerText()).toContain('invalid, already used or expired');
    await expectCleanPage([/status of 400/]);
  });

  it('the reset link: a weak password is refused with feedback, a strong one is set; only the new one signs in', async () => {
    if (!available) return;
    const user = uniqueUser('br');
    expect((await t.request('/v1/auth/register', jsonPost(user, { 'x-forwarded-for': freshIp() }))).status).toBe(202);
    expect((await t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }))).status).toBe(202);
    const link = await linkFromMail(t, user.email, 'auth.reset_password', 'reset-password');

    expect((await page.goto(link))?.status()).toBe(200);
    const password = page.locator('#password');
    await password.waitFor({ state: 'visible' });
    expect(page.url()).toBe(`${t.url}/reset-password`);

    await password.fill(WEAK_PASSWORD);
    await page.locator('#submit').click();
    const feedback = page.locator('#feedback');
    await feedback.locator('[data-state="error"]').waitFor({ timeout: 10_000 });
    expect(await feedback.innerText()).toMatch(/Not accepted: too weak \(strength [0-2] of 4\)/);
    expect(await feedback.locator('li').count()).toBeGreaterThan(0);
    expect(await loginStatus(t, user.email, WEAK_PASSWORD)).toBe(401);

    await password.fill(NEW_PASSWORD);
    await page.locator('#submit').click();
    const status = page.locator('#status');
    await status.and(page.locator('[data-state="ok"]')).waitFor({ timeout: 10_000 });
    expect(await status.innerText()).toContain('Your password is set');
    expect(await page.locator('#reset').isHidden()).toBe(true);

    expect(await loginStatus(t, user.email, NEW_PASSWORD)).toBe(200);
    expect(await loginStatus(t, user.email, user.password)).toBe(401);
    expect(sent.filter((r) => r.method === 'POST').map((r) => new URL(r.url).pathname)).toEqual([
      '/v1/auth/password/reset',
      '/v1/auth/password/reset',
    ]);
    expectTokenOnlyPosted(link);
    // The weak attempt's 400 is the expected answer the page turned into feedback.
    await expectCleanPage([/status of 400/]);
  });

  it('"Suggest one" fills in a password the policy accepts', async () => {
    if (!available) return;
    const user = uniqueUser('br');
    expect((await t.request('/v1/auth/register', jsonPost(user, { 'x-forwarded-for': freshIp() }))).status).toBe(202);
    expect((await t.request('/v1/auth/password/forgot', jsonPost({ email: user.email }))).status).toBe(202);
    await page.goto(await linkFromMail(t, user.email, 'auth.reset_password', 'reset-password'));
    await page.locator('#suggest').click();
    const password = page.locator('#password');
    await waitFor(async () => ((await password.inputValue()).length === 20 ? true : undefined), 10_000);
    const suggested = await password.inputValue();
    await page.locator('#submit').click();
    await page.locator('#status[data-state="ok"]').waitFor({ timeout: 10_000 });
    expect(await loginStatus(t, user.email, suggested)).toBe(200);
    await expectCleanPage();
  });

  it('a link without its token says so and sends nothing', async () => {
    if (!available) return;
    for (const path of ['/verify-email', '/reset-password#token=short']) {
      sent = [];
      await page.goto(`${t.url}${path}`);
      await page.locator('#status[data-state="error"]').waitFor({ timeout: 10_000 });
      expect(await page.locator('#status').innerText()).toContain('no valid token');
      expect(sent.filter((r) => r.method === 'POST')).toEqual([]);
    }
    await expectCleanPage();
  });
});
