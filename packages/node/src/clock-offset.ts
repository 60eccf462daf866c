/**
 * How far the server's clock is from ours, learned from the `Date` header of its responses.
 * `offsetMs` is server time minus local time: `serverNow = localNow + offsetMs`.
 */
export interface ClockOffset {
  /** The current estimate, in ms. 0 until a response says otherwise. */
  readonly offsetMs: number;
  /**
   * Takes one observation: the `Date` header of a response to a request sent at `sentAt` and
   * answered at `receivedAt` (both local epoch ms). Returns the estimate after it.
   */
  observe(dateHeader: string | null, sentAt: number, receivedAt: number): number;
}

/**
 * The `Date` header has a resolution of one second and the server wrote it somewhere between
 * our send and our receive, so one observation only bounds the offset to an interval. The
 * estimate moves only when an observation's interval excludes it: an accurate clock stays at
 * exactly 0, and a skewed one is corrected by the first response that proves it.
 */
export function createClockOffset(initialMs = 0): ClockOffset {
  let offsetMs = initialMs;
  return {
    get offsetMs() {
      return offsetMs;
    },
    observe(dateHeader, sentAt, receivedAt) {
      const serverSecond = parseHttpDate(dateHeader);
      if (serverSecond === undefined || receivedAt < sentAt) return offsetMs;
      const low = serverSecond - receivedAt;
      const high = serverSecond + 1000 - sentAt;
      if (offsetMs < low || offsetMs > high) offsetMs = Math.round((low + high) / 2);
      return offsetMs;
    },
  };
}

/** Epoch ms of an HTTP date, or undefined when absent or unparseable. */
export function parseHttpDate(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
