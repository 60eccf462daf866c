// Leak check (Node): realistic flows run with recognisable sentinel tokens, then every place a token
// could leak to is searched for the sentinel: console output, error messages, stacks, JSON and
// util.inspect of errors (their cause chains included, as `console.error(error)` prints them), event
// payloads, request URLs, headers and bodies seen by the allowed server and everything the foreign
// server saw. The sentinel may appear only in an Authorization header sent to the allowed origin and
// in the refresh cookie sent back to the allowed origin's /auth path.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createAuthFetch, createSession, isTokenwardError, type Session, type SessionEventName } from '@tokenward/core';
import { createRefreshTransport, readTokenResponse } from '@tokenward/browser';
import { createClientCredentials } from '@tokenward/node';
import { SENTINEL, leaksIn, startAllowedServer, startForeignServer, type AllowedServer, type RecordingServer } from './helpers/sentinel-servers.js';

const EVENTS: SessionEventName[] = ['signed-in', 'refreshed', 'refresh-failed', 'session-expired', 'signed-out', 'status'];

let allowed: AllowedServer;
let foreign: RecordingServer;
/** Text from every place that must not hold a token, by place. */
const places = new Map<string, string[]>();
const record = (place: string, value: unknown) => {
  const list = places.get(place) ?? [];
  list.push(typeof value === 'string' ? value : inspect(value, { depth: 20, showHidden: true, getters: true }));
  places.set(place, list);
};
const errorsSeen: Array<{ where: string; code: string | undefined }> = [];
/** Everything an application would see or log of an error. */
function recordError(where: string, error: unknown): void {
  errorsSeen.push({ where, code: isTokenwardError(error) ? error.code : undefined });
  if (error instanceof Error) {
    record(`${where}: message`, error.message);
    record(`${where}: stack`, String(error.stack));
    record(`${where}: String()`, String(error));
  }
  record(`${where}: JSON`, JSON.stringify(error) ?? '');
  record(`${where}: util.inspect (what console.error prints)`, error);
}

const consoleSpies: Array<ReturnType<typeof vi.spyOn>> = [];

beforeAll(async () => {
  foreign = await startForeignServer();
  allowed = await startAllowedServer(() => foreign.url);
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    consoleSpies.push(vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void record(`console.${method}`, args)));
  }
});

afterAll(async () => {
  for (const spy of consoleSpies) spy.mockRestore();
  await allowed.close();
  await foreign.close();
});

/** A cookie jar for the allowed origin's /auth path, as the browser keeps the HttpOnly cookie. */
function cookieJarFetch(): typeof fetch {
  let cookie: string | undefined;
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(input, { ...init, headers });
    const set = response.headers.getSetCookie()[0];
    if (set) cookie = set.split(';', 1)[0];
    return response;
  };
}

function observe(session: Session, where: string): void {
  for (const name of EVENTS) session.on(name, (payload) => {
    record(`event ${name} (${where}) JSON`, JSON.stringify(payload));
    record(`event ${name} (${where}) inspect`, payload);
  });
}

async function attempt(where: string, run: () => Promise<unknown> | unknown): Promise<void> {
  try {
    const value = await run();
    if (value instanceof Response) record(`${where}: response to the caller`, `${value.status} ${value.url}`);
  } catch (error) {
    recordError(where, error);
  }
}

describe('leak check (Node): the sentinel token goes only to the allowed origin’s Authorization header', () => {
  it('runs the flows: refresh through the HttpOnly cookie, API calls, 401 retries, redirects, foreign origins, failures, bad sign-ins', async () => {
    const session = createSession({
      refresh: createRefreshTransport({ url: `${allowed.url}/auth/refresh`, fetch: cookieJarFetch(), headers: () => ({ 'x-tokenward-csrf': '1' }) }),
      policy: { backoffMs: 10, maxBackoffMs: 20 },
    });
    observe(session, 'bearer session');
    // A listener that throws: the default handler reports it on console.error.
    session.on('refreshed', () => {
      throw new Error('a listener bug');
    });
    const authFetch = createAuthFetch(session, { origins: [allowed.url] });

    await attempt('getAccessToken', () => session.getAccessToken());
    await attempt('allowed API', () => authFetch(`${allowed.url}/api/data`));
    await attempt('allowed API, 401 then retry', () => authFetch(`${allowed.url}/api/fresh-401`, { method: 'POST', body: 'payload' }));
    await attempt('allowed API, Request object', () => authFetch(new Request(`${allowed.url}/api/data?x=1`, { headers: { 'x-app': 'a' } })));
    await attempt('redirect from the allowed origin to a foreign one', () => authFetch(`${allowed.url}/api/redirect`));
    await attempt('foreign origin', () => authFetch(`${foreign.url}/collect`));
    await attempt('foreign origin, Request object', () => authFetch(new Request(`${foreign.url}/collect`, { method: 'POST', body: 'x' })));
    await attempt('foreign origin, userinfo trick', () => authFetch(`${foreign.url.replace('http://', `http://${allowed.url.slice(7)}@`)}/collect`));
    await attempt('foreign origin, prefix trick', () => authFetch(`${allowed.url}.evil.invalid/collect`));
    await attempt('foreign origin, same host other port', () => authFetch(foreign.url));
    await attempt('foreign origin, caller sets its own Authorization', () => authFetch(`${foreign.url}/mine`, { headers: { authorization: 'Bearer mine' } }));

    // Refresh failures, including a server that echoes the cookie in its error page and in a challenge.
    for (const answer of ['500', 'html-echo', 'bad-token-type'] as const) {
      allowed.next.push(answer);
      await attempt(`refresh answering ${answer}`, () => session.refresh());
      await attempt(`caller during a ${answer} failure`, () => authFetch(`${allowed.url}/api/data`));
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    allowed.next.push('invalid_grant');
    await attempt('refresh refused (session expires)', () => session.refresh());
    await attempt('caller after expiry', () => authFetch(`${allowed.url}/api/data`));
    await attempt('snapshot after expiry', () => record('snapshot', session.getSnapshot()));

    // Bad sign-ins carrying the sentinel.
    for (const tokens of [
      { accessToken: `${SENTINEL}-bad-1`, expiresIn: -1 },
      { accessToken: `${SENTINEL}-bad-2 ${'x'.repeat(70_000)}`, expiresIn: 60 },
      { accessToken: `${SENTINEL}-bad-3`, refreshToken: 42 as unknown as string, expiresIn: 60 },
      { accessToken: `${SENTINEL}.bad.jwt` },
      { accessToken: `${SENTINEL}-bad-5`, expiresAt: Number.NaN },
    ]) {
      await attempt('signIn with bad input', () => session.signIn(tokens));
    }
    await attempt('readTokenResponse of a body echoing the token', () =>
      readTokenResponse(new Response(JSON.stringify({ access_token: `${SENTINEL}-in-body with spaces`, expires_in: 60 }), { status: 200 })),
    );
    await attempt('readTokenResponse of an error body with the token', () =>
      readTokenResponse(new Response(JSON.stringify({ error: 'invalid_request', error_description: `${SENTINEL}-d`, access_token: `${SENTINEL}-x` }), { status: 400 })),
    );
    session.signIn({ accessToken: `${SENTINEL}-signed-in`, expiresIn: 60 });
    await attempt('allowed API after sign-in', () => authFetch(`${allowed.url}/api/data`));
    await attempt('invalidate', () => session.invalidate(`${SENTINEL}-signed-in`));
    session.signOut();
    await attempt('after sign-out', () => authFetch(`${allowed.url}/api/data`));
    session.dispose();
    await attempt('after dispose', () => session.getAccessToken());
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('runs the Node client-credentials flows: a good grant, a refused grant with a challenge', async () => {
    const tokens = createClientCredentials({ tokenEndpoint: `${allowed.url}/token`, clientId: 'leak', clientSecret: 'leak-secret', policy: { backoffMs: 10, maxBackoffMs: 20 } });
    const session = tokens.session();
    observe(session, 'client credentials');
    const authFetch = createAuthFetch(session, { origins: [allowed.url] });
    await attempt('client credentials: API', () => authFetch(`${allowed.url}/api/data`));
    await attempt('client credentials: foreign', () => authFetch(`${foreign.url}/cc`));
    allowed.next.push('invalid_grant');
    await attempt('client credentials: refused', () => session.refresh());
    await attempt('client credentials: after refusal', () => tokens.getAccessToken());
    tokens.dispose();
    await new Promise((resolve) => setTimeout(resolve, 20));
  });

  it('the allowed origin got the sentinel in Authorization headers (the flows really carried tokens)', () => {
    const authorized = allowed.requests.filter((r) => r.headers.authorization?.startsWith(`Bearer ${SENTINEL}`));
    expect(authorized.length).toBeGreaterThanOrEqual(5);
    expect(allowed.requests.some((r) => r.url === '/api/fresh-401' && r.body === 'payload' && r.headers.authorization?.includes('-access-'))).toBe(true);
  });

  it('the foreign origin never saw the sentinel: not in a URL, a header or a body, not after a redirect', () => {
    expect(foreign.requests.length).toBeGreaterThanOrEqual(5);
    // The redirect was followed: fetch dropped the Authorization header at the origin change.
    expect(foreign.requests.some((r) => r.url === '/landing')).toBe(true);
    const leaks = foreign.requests.filter((r) => JSON.stringify(r).includes(SENTINEL));
    expect(leaks).toEqual([]);
  });

  it('the allowed origin saw it nowhere else: not in URLs, bodies or other headers; the refresh cookie only on /auth', () => {
    // The scheme is the token_type the server issued (Bearer, DPoP, ...).
    const leaks = leaksIn(
      allowed.requests,
      (name, text, r) => (name === 'authorization' && /^[\w.-]+ SENTINEL-[\w-]+$/.test(text)) || (name === 'cookie' && r.url.startsWith('/auth/') && /^tw_refresh=[\w-]+$/.test(text)),
    );
    expect(leaks).toEqual([]);
  });

  it('no console output, error message, stack, error JSON or inspection, event payload or snapshot holds it', () => {
    expect(places.size).toBeGreaterThan(10);
    expect([...places.keys()].some((place) => place.startsWith('console.error'))).toBe(true);
    const leaks = [...places].flatMap(([place, texts]) => texts.filter((text) => text.includes(SENTINEL)).map((text) => `${place}: …${text.slice(Math.max(0, text.indexOf(SENTINEL) - 80), text.indexOf(SENTINEL) + 60)}…`));
    expect(leaks).toEqual([]);
  });

  it('every error the flows produced was a typed TokenwardError, apart from fetch’s own on foreign URLs it passed through', () => {
    expect(errorsSeen.length).toBeGreaterThan(8);
    expect(errorsSeen.filter((e) => e.code === undefined && !/userinfo|prefix trick/.test(e.where))).toEqual([]);
  });
});

describe('leak check (Node): token responses the SDK refuses', () => {
  // Was: packages/node/src/classify.ts kept oauth4webapi's error as `cause`, whose own `cause` is the
  // parsed token response body: when the SDK refused a 200 carrying a live access token (an
  // unsupported token_type, a malformed expires_in), `console.error(error)` printed the token, and
  // every 'refresh-failed' and 'session-expired' listener received it. Fixed in bf80bde.
  it('a refused token response leaves no token in the error or its cause chain', async () => {
    const tokens = createClientCredentials({ tokenEndpoint: `${allowed.url}/token`, clientId: 'leak', clientSecret: 'leak-secret' });
    allowed.next.push('bad-token-type');
    const error = await tokens.getAccessToken().catch((e: unknown) => e);
    tokens.dispose();
    expect(isTokenwardError(error)).toBe(true);
    expect(inspect(error, { depth: 20 })).not.toContain(SENTINEL);
  });});
