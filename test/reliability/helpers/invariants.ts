import { isTokenwardError, type RefreshPolicy, type SessionSnapshot } from '@tokenward/core';
import { defaultPolicy } from '@tokenward/core/machine';

const STATUSES = new Set(['unknown', 'anonymous', 'active', 'refreshing', 'backoff', 'expired']);
/** The longest `Retry-After` the SDK honours (the browser transport's cap): longer is a misconfiguration. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

export interface SnapshotContext {
  now: number;
  policy?: Partial<RefreshPolicy>;
  /**
   * True when every timer due by `now` has fired (the test clock was advanced, not jumped) and the
   * session is online: then a due refresh or retry must have started.
   */
  timersCurrent?: boolean;
}

/**
 * The machine's invariants, as seen from outside through `getSnapshot()`. Returns the violations
 * (empty when consistent), so a property can report all of them with the snapshot.
 */
export function snapshotViolations(s: SessionSnapshot, { now, policy, timersCurrent = false }: SnapshotContext): string[] {
  const { maxBackoffMs } = { ...defaultPolicy, ...policy };
  const out: string[] = [];
  const finite = (name: keyof SessionSnapshot) => {
    if (!Number.isFinite(s[name])) out.push(`${s.status}: ${name} is ${String(s[name])}, not a finite number`);
  };
  const absent = (name: keyof SessionSnapshot) => {
    if (s[name] !== undefined) out.push(`${s.status}: ${name} should be undefined, is ${String(s[name])}`);
  };
  if (!STATUSES.has(s.status)) out.push(`unknown status ${String(s.status)}`);
  if (s.error !== undefined && !isTokenwardError(s.error)) out.push('error is not a TokenwardError');
  switch (s.status) {
    case 'unknown':
    case 'anonymous':
    case 'expired':
      absent('expiresAt');
      absent('refreshAt');
      absent('retryAt');
      break;
    case 'active':
      finite('expiresAt');
      finite('refreshAt');
      absent('retryAt');
      absent('error');
      if (s.refreshAt! > s.expiresAt!) out.push('active: refreshAt after expiresAt');
      // The refresh timer fires at refreshAt: an active session whose timers ran is not yet due.
      if (timersCurrent && !(now < s.refreshAt!)) out.push(`active with a refresh due ${now - s.refreshAt!} ms ago`);
      break;
    case 'refreshing':
      absent('retryAt');
      break;
    case 'backoff':
      finite('retryAt');
      if (s.error === undefined) out.push('backoff without an error');
      // A retry is never further away than the backoff ceiling or the longest Retry-After honoured.
      if (s.retryAt! - now > Math.max(maxBackoffMs, MAX_RETRY_AFTER_MS)) out.push(`backoff: retry in ${s.retryAt! - now} ms`);
      if (timersCurrent && !(now < s.retryAt!)) out.push(`backoff with a retry due ${now - s.retryAt!} ms ago`);
      break;
  }
  if (s.expiresAt !== undefined) finite('expiresAt');
  return out;
}

/** Throws with every violation and the snapshot itself. */
export function assertConsistent(s: SessionSnapshot, context: SnapshotContext): void {
  const violations = snapshotViolations(s, context);
  if (violations.length > 0) {
    throw new Error(`inconsistent session: ${violations.join('; ')}\n${JSON.stringify({ ...s, error: s.error?.code, now: context.now })}`);
  }
}
