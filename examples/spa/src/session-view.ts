import type { EventOrigin, RefreshFailedError, SessionStatus } from '@tokenward/core';
import type { BrowserSession } from '@tokenward/browser';
import { byId, el } from './dom.js';
import type { LogEntry } from './event-log.js';
import { clockTime, describeOrigin, describeReason, seconds } from './format.js';

export interface SessionViewOptions {
  session: BrowserSession;
  log: (entry: LogEntry) => void;
  /** Who `/api/me` says is signed in, if known. */
  user: () => { sub: string; role: string } | undefined;
  isOffline: () => boolean;
  /** Called on every status change, after the view updated. */
  onStatus: (status: SessionStatus) => void;
}

const TEXT: Record<SessionStatus, string> = {
  unknown: 'Starting: asking the other tabs for a live token, then the server.',
  anonymous: 'Not signed in. Sign in below (demo / demo), or through the local OpenID provider.',
  active: 'Signed in. The token is refreshed ahead of expiry, once for all tabs.',
  refreshing: 'Refreshing: one request for every tab. The current token stays usable.',
  backoff: 'A refresh failed for a transient reason: retrying with backoff. The current token stays usable while it is valid.',
  expired: 'The server refused the refresh: the session is over in every tab. Sign in again.',
};

/**
 * The session card: the machine's status, countdowns to expiry and to the next refresh, who made
 * the last refresh; and every session event into the log.
 */
export function createSessionView({ session, log, user, isOffline, onStatus }: SessionViewOptions): void {
  const counts = { local: 0, peer: 0 };
  let booted = false;
  let expiredReason = '';

  const received = (origin: EventOrigin) => {
    booted = true;
    counts[origin] += 1;
    byId('count-local').textContent = String(counts.local);
    byId('count-peer').textContent = String(counts.peer);
    byId('count-received').textContent = String(counts.local + counts.peer);
  };

  session.on('signed-in', ({ origin }) => {
    received(origin);
    log({ name: 'signed-in', kind: 'good', origin, detail: origin === 'local' ? 'POST /auth/login answered' : 'adopted the new session' });
  });
  session.on('refreshed', ({ reason, origin, expiresAt }) => {
    received(origin);
    const last = byId('last-refresh');
    // Why a peer refreshed is the peer's business; what this tab knows is when it got the token.
    const why = origin === 'local' ? `${describeReason(reason)} · ` : '';
    last.replaceChildren(el('span', `who ${origin}`, describeOrigin(origin)), ` ${why}${clockTime(Date.now())}`);
    const how = origin === 'local' ? describeReason(reason) : 'adopted, no request';
    log({ name: 'refreshed', kind: 'good', origin, detail: `${how} · valid ${seconds(expiresAt - Date.now())}` });
  });
  session.on('refresh-failed', ({ error, terminal, retryAt }) => {
    // The whole error, cause included, for DevTools; the log shows its message.
    console.warn('[demo] refresh failed', error, error.cause);
    if (!booted && terminal) {
      // The boot refresh of a visitor with no refresh cookie: nothing failed, there is no session yet.
      booted = true;
      const { status, oauthError } = error as RefreshFailedError;
      log({ name: 'no session', kind: 'note', detail: `no refresh cookie yet: the refresh on page load got ${status ?? ''} ${oauthError ?? ''}`.trimEnd() });
      return;
    }
    const cause = error.cause instanceof Error ? ` (${error.cause.name}: ${error.cause.message})` : '';
    const next = terminal ? 'terminal' : `retry in ${seconds((retryAt ?? Date.now()) - Date.now())}`;
    log({ name: 'refresh-failed', kind: 'warn', detail: `${error.message}${cause} · ${next}` });
  });
  session.on('session-expired', ({ reason, origin }) => {
    expiredReason = reason;
    render();
    log({ name: 'session-expired', kind: 'bad', origin, detail: `the server refused the refresh${reason ? ` (${reason})` : ''}` });
  });
  session.on('signed-out', ({ origin }) => {
    log({ name: 'signed-out', kind: 'note', origin, detail: origin === 'local' ? 'signed out here, then POST /auth/logout' : 'signed out in another tab' });
  });
  session.on('status', ({ from, to }) => {
    log({ name: 'status', kind: 'note', detail: `${from} → ${to}`, statusChange: true });
    render();
    onStatus(to);
  });

  const expiryMeter = createMeter();
  const nextMeter = createMeter();

  function render(): void {
    const now = Date.now();
    const { status, expiresAt, refreshAt, retryAt } = session.getSnapshot();
    const pill = byId('status');
    pill.dataset.status = status;
    pill.textContent = status;
    const who = user();
    let text = TEXT[status];
    if (status === 'active' && who) text = `Signed in as ${who.sub} (${who.role}). The token is refreshed ahead of expiry, once for all tabs.`;
    if (status === 'expired' && expiredReason) text = `The server refused the refresh (${expiredReason}): the session is over in every tab. Sign in again.`;
    byId('status-text').textContent = text;
    document.title = `${status} · tokenward demo`;

    const live = expiresAt !== undefined && status !== 'anonymous' && status !== 'expired';
    const expiry = live ? expiryMeter(expiresAt, now) : undefined;
    byId('expires-in').textContent = live ? (expiresAt > now ? seconds(expiresAt - now) : 'expired') : '–';
    byId('expires-bar').style.width = `${(expiry ?? 0) * 100}%`;
    byId('expiry-meter').classList.toggle('low', expiry !== undefined && expiry < 0.25);

    const next = status === 'backoff' ? retryAt : status === 'active' ? refreshAt : undefined;
    const fraction = nextMeter(next, now);
    byId('next-label').textContent = status === 'backoff' ? 'Retry in' : 'Next refresh in';
    let nextText = next === undefined ? '–' : seconds(next - now);
    if (status === 'refreshing') nextText = 'now';
    else if (next !== undefined && next <= now && isOffline()) nextText = 'due, waiting for the network';
    byId('refresh-in').textContent = nextText;
    byId('refresh-bar').style.width = `${(status === 'refreshing' ? 0 : (fraction ?? 0)) * 100}%`;
    byId('refresh-meter').classList.toggle('waiting', status === 'backoff');
  }

  render();
  setInterval(render, 200);
}

/** How much of the way to `at` is left, from when `at` was first seen (1 = all of it). */
function createMeter(): (at: number | undefined, now: number) => number | undefined {
  let target = 0;
  let span = 1;
  return (at, now) => {
    if (at === undefined) return undefined;
    if (at !== target) {
      target = at;
      span = Math.max(1, at - now);
    }
    return Math.min(1, Math.max(0, (at - now) / span));
  };
}
