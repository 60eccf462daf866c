import type { Browser } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildTestPage } from './build-page.js';
import { launchChromium } from './chromium.js';
import { startScenario, type Scenario } from './harness.js';

/**
 * One Chromium and one built test page for a test file (launched before its tests, closed after),
 * and one scenario at a time: `start` closes the previous one first.
 */
export function useChromium() {
  let browser: Browser;
  let staticDir: string;
  let scenario: Scenario | undefined;
  beforeAll(async () => {
    [staticDir, browser] = await Promise.all([buildTestPage(), launchChromium()]);
  });
  afterAll(async () => {
    await scenario?.close().catch(() => {});
    await browser?.close();
  });
  return {
    async start(options: Parameters<typeof startScenario>[2] = {}): Promise<Scenario> {
      await scenario?.close();
      scenario = await startScenario(browser, staticDir, options);
      return scenario;
    },
    /** Closes the current scenario (its pages report what they hold to `evidence`). */
    async finish(): Promise<void> {
      await scenario?.close();
      scenario = undefined;
    },
  };
}
