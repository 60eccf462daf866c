import { isTokenwardError } from '@tokenward/core';
import { byId, el } from './dom.js';

export interface Me {
  sub: string;
  role: string;
  exp: number;
}

const SPARK = 40;

/**
 * Calls `GET /api/me` through `session.fetch` every second and shows the answer: status code,
 * who the token says we are, and a strip of the last calls. The token itself is never shown.
 */
export function probeApi(authFetch: typeof fetch, signedIn: () => boolean): { me(): Me | undefined } {
  let me: Me | undefined;
  let busy = false;
  const tally = { ok: 0, failed: 0 };
  const spark = byId('api-spark');
  spark.append(...Array.from({ length: SPARK }, () => el('span')));

  const show = (code: string, ok: boolean | undefined, body: string) => {
    const badge = byId('api-code');
    badge.textContent = code;
    badge.dataset.ok = ok === undefined ? '' : String(ok);
    byId('api-body').textContent = body;
    spark.firstElementChild?.remove();
    spark.append(el('span', ok === undefined ? 'none' : ok ? 'ok' : 'bad'));
    if (ok !== undefined) tally[ok ? 'ok' : 'failed'] += 1;
    byId('api-ok').textContent = String(tally.ok);
    byId('api-failed').textContent = String(tally.failed);
  };

  const call = async () => {
    // A call waiting for a refresh is still running: that is shown, not stacked.
    if (busy) return;
    busy = true;
    try {
      const response = await authFetch('/api/me', { cache: 'no-store' });
      const body = (await response.json().catch(() => ({}))) as Partial<Me> & { error?: string };
      if (response.ok && body.sub) {
        me = { sub: body.sub, role: body.role ?? '?', exp: body.exp ?? 0 };
        show(String(response.status), true, `${me.sub} · role ${me.role} · token exp ${new Date(me.exp * 1000).toLocaleTimeString()}`);
      } else {
        show(String(response.status), false, body.error ?? response.statusText);
      }
    } catch (error) {
      if (isTokenwardError(error)) {
        // No token, so no request: signed out, expired, or (a failure) the refresh it waited for failed.
        me = undefined;
        if (error.code === 'ERR_SESSION_EXPIRED') show('–', undefined, 'session expired: no request sent');
        else if (error.code === 'ERR_NOT_SIGNED_IN' || !signedIn()) show('–', undefined, 'not signed in: no request sent');
        else show('–', false, `no token: ${error.message}`);
      } else {
        show('–', false, `network error: ${(error as Error).message}`);
      }
    } finally {
      busy = false;
    }
  };
  void call();
  setInterval(call, 1000);
  return { me: () => me };
}
