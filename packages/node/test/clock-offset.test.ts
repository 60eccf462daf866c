import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClockOffset, parseHttpDate } from '../src/clock-offset.js';

const httpDate = (ms: number) => new Date(ms).toUTCString();

describe('createClockOffset', () => {
  it('stays at exactly 0 while the Date header agrees within its one-second resolution', () => {
    const offset = createClockOffset();
    const now = Date.UTC(2025, 0, 1, 12, 0, 0, 700);
    expect(offset.observe(httpDate(now), now - 20, now + 20)).toBe(0);
    expect(offset.offsetMs).toBe(0);
  });

  it('learns that the server is 30 s behind from one response', () => {
    const offset = createClockOffset();
    const local = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
    offset.observe(httpDate(local - 30_000), local - 10, local + 10);
    expect(Math.abs(offset.offsetMs - -30_000)).toBeLessThanOrEqual(1_000);
  });

  it('keeps its estimate when a later observation is consistent with it', () => {
    const offset = createClockOffset();
    const local = Date.UTC(2025, 0, 1, 12, 0, 30, 250);
    const first = offset.observe(httpDate(local - 30_000), local - 10, local + 10);
    expect(offset.observe(httpDate(local + 5_000 - 30_000), local + 4_990, local + 5_010)).toBe(first);
  });

  it('ignores a missing or unparseable Date header', () => {
    const offset = createClockOffset(123);
    expect(offset.observe(null, 0, 10)).toBe(123);
    expect(offset.observe('yesterday-ish', 0, 10)).toBe(123);
    expect(parseHttpDate(undefined)).toBeUndefined();
  });

  it('always ends within one second plus the round trip of the true offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        fc.integer({ min: 0, max: 2_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: -3_600_000, max: 3_600_000 }),
        (trueOffset, rtt, at, prior) => {
          const sentAt = 1_750_000_000_000;
          const receivedAt = sentAt + rtt;
          const serverWrote = sentAt + Math.round(rtt * at) + trueOffset;
          const offset = createClockOffset(prior);
          const estimate = offset.observe(httpDate(serverWrote), sentAt, receivedAt);
          expect(Math.abs(estimate - trueOffset)).toBeLessThanOrEqual(1_000 + rtt);
        },
      ),
    );
  });
});
