import { createCsrfHeaders, readTokenResponse, type BrowserSession, type TokenMode } from '@tokenward/browser';
import type { SessionStatus } from '@tokenward/core';
import { byId } from './dom.js';
import type { LogEntry } from './event-log.js';
import type { OfflineSwitch } from './offline.js';

export interface ActionsOptions {
  session: BrowserSession;
  mode: TokenMode;
  offline: OfflineSwitch;
  log: (entry: LogEntry) => void;
  /** The user `/api/me` last reported, for "revoke on server". */
  user: () => string | undefined;
}

/** Wires the buttons; returns what enables and hides them as the status changes. */
export function wireActions({ session, mode, offline, log, user }: ActionsOptions): (status: SessionStatus) => void {
  const form = byId<HTMLFormElement>('sign-in');
  const note = (detail: string, kind: LogEntry['kind'] = 'note', name = 'page') => log({ name, kind, detail });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    byId<HTMLButtonElement>('sign-in-button').disabled = true;
    try {
      // Through the offline switch: signing in needs the network like everything else.
      const response = await offline.fetch('/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: data.get('username'), password: data.get('password'), mode }),
      });
      if (response.status === 401) return note('wrong user or password (try demo / demo)', 'warn', 'sign-in');
      // The body's access token goes straight into the session's memory; the refresh token is an HttpOnly cookie.
      session.signIn(await readTokenResponse(response, mode));
    } catch (error) {
      note(`sign-in failed: ${(error as Error).message}`, 'warn', 'sign-in');
    } finally {
      byId<HTMLButtonElement>('sign-in-button').disabled = false;
    }
  });

  // The backend-for-frontend: the server runs the code flow with the provider and comes back here
  // with the same cookies as a password sign-in; the page boots its session from them.
  byId('oidc-sign-in').addEventListener('click', () => {
    location.assign(`/auth/login?${new URLSearchParams({ returnTo: location.pathname + location.search, mode })}`);
  });

  byId('open-tab').addEventListener('click', () => window.open(location.href, '_blank'));

  byId('sign-out').addEventListener('click', () => {
    session.signOut().catch((error: Error) => note(`the server did not confirm the sign-out: ${error.message}`, 'warn'));
  });

  byId('revoke').addEventListener('click', async () => {
    const username = user() ?? String(new FormData(form).get('username'));
    try {
      const response = await fetch('/auth/revoke', {
        method: 'POST',
        // A state-changing route: it wants the CSRF header like refresh and sign-out.
        headers: { 'content-type': 'application/json', ...createCsrfHeaders()() },
        body: JSON.stringify({ username }),
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      note(`every session of ${username} revoked on the server: the next refresh will be refused`, 'warn', 'revoke');
    } catch (error) {
      note(`revoke failed: ${(error as Error).message}`, 'warn', 'revoke');
    }
  });

  const offlineButton = byId<HTMLButtonElement>('offline');
  offlineButton.addEventListener('click', () => {
    const next = !offline.isOffline();
    offline.set(next);
    offlineButton.setAttribute('aria-pressed', String(next));
    offlineButton.textContent = next ? 'Back online' : 'Simulate offline';
    byId('net').hidden = !next;
    note(next ? "this tab's fetch now fails, and its session heard the offline event" : 'network back: the session re-checks its token', next ? 'warn' : 'note', next ? 'offline' : 'online');
  });

  return (status) => {
    const signedIn = status === 'active' || status === 'refreshing' || status === 'backoff';
    form.hidden = signedIn || status === 'unknown';
    byId('sign-in-alt').hidden = form.hidden;
    byId<HTMLButtonElement>('sign-out').disabled = !signedIn;
    byId<HTMLButtonElement>('revoke').disabled = !signedIn;
  };
}
