import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; `.ci/run` installs it. Override with TOKENWARD_CHROMIUM. */
export const CHROMIUM = process.env.TOKENWARD_CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium, or fails with what to install. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set TOKENWARD_CHROMIUM to its path`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}
