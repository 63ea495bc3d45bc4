import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { requireOrSkip } from './test-env';

/** Debian's Chromium (apt-get install chromium); playwright-core drives it, nothing is downloaded. */
export const CHROMIUM = '/usr/bin/chromium';

/** Whether the browser tests run here: in CI a missing Chromium fails, elsewhere they skip with one line. */
export function chromiumAvailable(): boolean {
  return requireOrSkip(existsSync(CHROMIUM), `Chromium (${CHROMIUM})`);
}

/** Headless Chromium as the browser tests run it (no background networking: this machine's network is closed). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
