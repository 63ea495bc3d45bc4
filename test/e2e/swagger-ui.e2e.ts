import { API_TAGS } from '@app/core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, TestApp } from '../support/app';
import { createKey, userWithScopes } from '../support/key-helpers';
import { ROOT } from '../support/process';
import { chromiumAvailable, launchChromium } from '../support/browser';

const ARTIFACTS = join(ROOT, 'test', 'artifacts');

/** Swagger UI in a real headless Chromium, under the product's CSP and helmet headers. */
describe('Swagger UI in a real browser', () => {
  const available = chromiumAvailable();
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!available) return;
    t = await startTestApp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
        problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // CSP violations are also reported as DOM events; collect them where the page can see them.
    // (Browser-side code as text: the test project has no DOM typings.)
    await page.addInitScript({
      content: `window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  /** Fills one scheme of the "Authorize" dialog: the API key header, or the session bearer token. */
  async function authorize(credential: string, scheme: 'X-API-Key' | 'Bearer' = 'X-API-Key'): Promise<void> {
    await page.locator('.auth-wrapper button.authorize').click();
    const section = page
      .locator('.auth-container')
      .filter({ hasText: scheme === 'Bearer' ? 'http, Bearer' : 'X-API-Key' });
    const logout = section.locator('button', { hasText: 'Logout' });
    if (await logout.count()) await logout.click();
    await section.locator('input').fill(credential);
    await section.locator('button.authorize', { hasText: 'Authorize' }).click();
    await page.locator('.dialog-ux button.close-modal').click();
  }

  /** Saves the viewport under test/artifacts/ (kept by CI, ignored by git) and checks a real PNG was written. */
  async function screenshot(name: string): Promise<void> {
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, name), fullPage: false });
    const png = readFileSync(join(ARTIFACTS, name));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(png.length).toBeGreaterThan(20_000);
  }

  async function execute(operation: string): Promise<string> {
    const op = page.locator(`#${operation}`);
    if (!(await op.locator('.try-out__btn').count())) await op.locator('.opblock-summary').click();
    const tryOut = op.locator('.try-out__btn', { hasText: 'Try it out' });
    if (await tryOut.count()) await tryOut.click();
    const responses = op.locator('.live-responses-table tr.response .response-col_status');
    // Clear the previous answer first, so the one read below is this execution's.
    const clear = op.locator('button.btn-clear');
    if (await clear.count()) await clear.click();
    await responses
      .first()
      .waitFor({ state: 'detached' })
      .catch(() => undefined);
    await op.locator('button.execute').click();
    await responses.first().waitFor();
    return (await responses.first().innerText()).trim();
  }

  it('loads /docs without console errors or CSP violations, every module tagged', async () => {
    if (!available) return;
    const res = await page.goto(`${t.url}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.locator('.swagger-ui .info .title').waitFor();
    expect(await page.locator('.swagger-ui .info .title').innerText()).toContain('Security backend');
    for (const tag of API_TAGS) {
      expect(await page.locator(`#operations-tag-${tag.name}`).count()).toBe(1);
      expect(await page.locator(`#operations-tag-${tag.name}`).innerText()).toContain(tag.description.slice(0, 40));
    }
    expect(problems).toEqual([]);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
  });

  it('"Authorize" with a fresh API key, then "Try it out": 200 with the scope, 403 without it', async () => {
    if (!available) return;
    const owner = await userWithScopes(t, ['certificates:read']);
    const scoped = await createKey(t, owner.token, { name: 'swagger scoped', scopes: ['certificates:read'] });
    const unscoped = await createKey(t, owner.token, { name: 'swagger unscoped', scopes: ['profiles:read'] });

    await authorize(scoped.key);
    expect(await execute('operations-certificates-Certificates_list')).toBe('200');
    await page.locator('#operations-certificates-Certificates_list').scrollIntoViewIfNeeded();
    await screenshot('swagger-ui-try-it-out.png');

    await authorize(unscoped.key);
    expect(await execute('operations-certificates-Certificates_list')).toBe('403');
    const body = await page
      .locator(
        '#operations-certificates-Certificates_list .live-responses-table tr.response .response-col_description pre',
      )
      .first()
      .innerText();
    expect(body).toContain('INSUFFICIENT_SCOPES');
    await page.locator('#operations-certificates-Certificates_list .live-responses-table').scrollIntoViewIfNeeded();
    await screenshot('swagger-ui-forbidden.png');
    expect(problems.filter((p) => !/status of 403/.test(p))).toEqual([]);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
  });

  it('"Authorize" with a session token: a session-only operation answers 200; its documented answer shows a schema example', async () => {
    if (!available) return;
    const { token } = await userWithScopes(t, ['profiles:read']);
    await authorize(token, 'Bearer');
    const operation = '#operations-auth-Auth_listSessions';
    expect(await execute('operations-auth-Auth_listSessions')).toBe('200');
    const live = await page
      .locator(`${operation} .live-responses-table tr.response .response-col_description pre`)
      .first()
      .innerText();
    expect(live).toContain('"current": true');
    const documented = await page
      .locator(`${operation} table.responses-table:not(.live-responses-table) tr.response[data-code="200"]`)
      .first()
      .innerText();
    expect(documented).toContain('"nextCursor"');
    expect(documented).toContain('"lastSeenAt"');
    await page.locator(`${operation} .live-responses-table`).scrollIntoViewIfNeeded();
    await screenshot('swagger-ui-session.png');
    expect(problems.filter((p) => !/status of 403/.test(p))).toEqual([]);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
  });
});
