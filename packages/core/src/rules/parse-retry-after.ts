/**
 * `Retry-After` in ms: delay-seconds, or an HTTP date measured against the response's own `Date`
 * (else `now`), so a skewed local clock does not stretch or cancel it. A date in the past means 0;
 * anything else unreadable, undefined. The core caps what it honours.
 * @example
 * parseRetryAfter(response.headers.get('retry-after'), response.headers.get('date'), Date.now()); // 120000 for "120"
 */
export function parseRetryAfter(value: string | null | undefined, date: string | null | undefined, now: number): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; V8 would read "-5" or "2026" as a year.
  const at = /[a-z]{3}/i.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(at)) return undefined;
  const serverNow = Date.parse(date ?? '');
  return Math.max(0, at - (Number.isFinite(serverNow) ? serverNow : now));
}
