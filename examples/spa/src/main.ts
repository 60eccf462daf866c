// The live demo page: one browser session per tab, coordinated across tabs by @tokenward/browser.
import { createBrowserSession, type TokenMode } from '@tokenward/browser';
import { wireActions } from './actions.js';
import { probeApi } from './api-probe.js';
import { byId } from './dom.js';
import { createEventLog } from './event-log.js';
import { createOfflineSwitch } from './offline.js';
import { pollServerStats } from './server-stats.js';
import { createSessionView } from './session-view.js';

const mode: TokenMode = new URLSearchParams(location.search).get('mode') === 'cookie' ? 'cookie' : 'bearer';
const offline = createOfflineSwitch();
const session = createBrowserSession({
  mode,
  // One channel per mode: tabs share a session only with tabs that hold their tokens the same way.
  channel: `tokenward-demo-${mode}`,
  fetch: offline.fetch,
});

showTab();
const log = createEventLog(byId<HTMLOListElement>('events'), byId<HTMLInputElement>('show-status'));
const api = probeApi(session.fetch, () => !['anonymous', 'expired'].includes(session.getSnapshot().status));
const setStatus = wireActions({ session, mode, offline, log, user: () => api.me()?.sub });
createSessionView({ session, log, user: () => api.me(), isOffline: offline.isOffline, onStatus: setStatus });
setStatus(session.getSnapshot().status);
pollServerStats();

/** A name and colour per tab, so two windows side by side are easy to tell apart. */
function showTab(): void {
  const id = Math.random().toString(16).slice(2, 6);
  byId('tab-name').textContent = `tab ${id}`;
  byId('tab-dot').style.background = `hsl(${parseInt(id, 16) % 360} 65% 52%)`;
  byId('mode').textContent = mode === 'cookie' ? 'cookie mode' : 'bearer mode';
  byId('mode-note').textContent =
    mode === 'cookie'
      ? 'Cookie mode: both tokens stay in HttpOnly cookies; no script on this page ever sees them.'
      : 'Bearer mode: the access token lives in this tab\'s memory, the refresh token in an HttpOnly cookie. Neither is shown, stored or put in the DOM.';
  const other = mode === 'cookie' ? 'bearer' : 'cookie';
  const link = byId<HTMLAnchorElement>('mode-switch');
  link.href = `?mode=${other}`;
  link.textContent = `Switch to ${other} mode`;
}
