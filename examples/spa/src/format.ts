import type { EventOrigin, RefreshReason } from '@tokenward/core';

/** `14:02:11.204`, local time. */
export function clockTime(at: number): string {
  const date = new Date(at);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/** `6.2 s` (with a no-break space); never negative. */
export function seconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)}\u00a0s`;
}

const REASONS: Record<RefreshReason, string> = {
  boot: 'on page load',
  scheduled: 'ahead of expiry',
  demand: 'a request needed a token',
  unauthorized: 'after a 401',
  manual: 'refresh() called',
  retry: 'retry after a failure',
};

export function describeReason(reason: RefreshReason): string {
  return REASONS[reason] ?? reason;
}

export function describeOrigin(origin: EventOrigin): string {
  return origin === 'local' ? 'this tab' : 'another tab';
}
