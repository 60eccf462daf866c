// The Chromium soak in `npm test` (35 s; `npm run soak` runs 2 minutes): 4 tabs, strict refresh-token
// rotation, a refresh endpoint cycling through random faults, recovery, a full outage and recovery.
import { beforeAll, describe, expect, it } from 'vitest';
import { runBrowserSoak, type BrowserSoakResult } from './soak/browser-soak.js';

const DURATION_MS = Number(process.env.TOKENWARD_BROWSER_SOAK_MS ?? 35_000);

describe(`Chromium soak: 4 tabs for ${DURATION_MS / 1000} s under a faulty refresh endpoint (strict reuse detection)`, () => {
  let result: BrowserSoakResult;
  beforeAll(async () => {
    result = await runBrowserSoak({ durationMs: DURATION_MS });
    const { durationMs, apiCalls, refresh, reuseDetections, recoveries, perTab } = result;
    const tabs = perTab.map((t) => ({ ok: t.outcomes.ok, statuses: t.outcomes.statuses, codes: t.outcomes.codes, events: t.events }));
    console.log(`browser soak: ${JSON.stringify({ durationMs, apiCalls, refresh, reuseDetections, recoveries, tabs })}`);
  }, DURATION_MS + 120_000);

  it('detects zero refresh-token reuse, and no tab’s session expires', () => {
    expect(result.reuseDetections).toBe(0);
    for (const tab of result.perTab) expect(tab.events['session-expired'] ?? 0).toBe(0);
  });

  it('every tab regains a valid session whenever the endpoint recovers', () => {
    expect(result.recoveries.some((r) => r.after === 'down')).toBe(true);
    expect(result.recoveries.filter((r) => !r.allTabs)).toEqual([]);
  });

  it('settles every API call with a response or a typed error, and serves most of them', () => {
    for (const tab of result.perTab) {
      expect(tab.outcomes.other).toEqual([]);
      expect(tab.outcomes.inFlight).toBe(0);
      expect(tab.outcomes.ok).toBeGreaterThan(50);
    }
  });

  it('refreshes once per expiry for all tabs (no refresh right after a success), within the bound', () => {
    expect(result.refresh.minGapAfterSuccessMs).toBeGreaterThanOrEqual(500);
    expect(result.refresh.requests).toBeLessThanOrEqual(result.refresh.bound);
  });

  it('passes every check, with no page error', () => {
    expect(result.pageErrors).toEqual([]);
    expect(result.failed).toEqual([]);
  });
});
