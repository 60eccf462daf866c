// The clients under comparison, each set up as its own documentation shows, behind one shape:
// `{ get(url) -> Promise<status>, dispose() }`. `get` reads the whole body; a call that throws failed.
//
// Every client starts from the same tokens (`store`: access token, refresh token), refreshes against the
// same token endpoint (`tokenUrl`, refresh_token grant, rotating refresh tokens), and keeps the new
// tokens in `store`. `knownExpired` tells the clients that track expiry that the access token has
// expired; the others (axios-auth-refresh, ky's hook) only ever learn it from a 401.
import { OAuth2Client, OAuth2Fetch } from '@badgateway/oauth2-client';
import { RefreshFailedError, createAuthFetch, createSession } from '@tokenward/core';
import { systemClock } from '@tokenward/core/internal';
import { attachAuth } from '@tokenward/core/axios';
import { createAuthInterceptor } from '@tokenward/node';
import axios from 'axios';
import { createAuthRefresh } from 'axios-auth-refresh';
import ky from 'ky';
import { Agent, request } from 'undici';

const HOUR = 3_600_000;

function refreshForm(store) {
  return new URLSearchParams({ grant_type: 'refresh_token', refresh_token: store.refresh, client_id: 'bench' });
}

function adopt(store, body) {
  store.access = body.access_token;
  store.refresh = body.refresh_token ?? store.refresh;
}

const readStatus = async (response) => {
  await response.arrayBuffer();
  return response.status;
};

/** fetch by hand with a fixed header: the baseline. */
export function bareFetch({ store }) {
  return {
    get: (url) => fetch(url, { headers: { authorization: `Bearer ${store.access}` } }).then(readStatus),
    dispose() {},
  };
}

/** The second control: the thinnest possible wrapper, one `async` line around fetch, sending the same header. */
export function oneLineWrapper({ store }) {
  const wrapped = async (input, init) => fetch(input, init);
  return {
    get: (url) => wrapped(url, { headers: { authorization: `Bearer ${store.access}` } }).then(readStatus),
    dispose() {},
  };
}

/**
 * The floor of any safe token wrapper, written by hand: only what one must do to send a token it knows
 * to be unexpired to an allowed origin and to see the 401 that asks for a retry (an origin check, one
 * wall-clock read, the header, the answer awaited). What tokenward adds beyond the one-line wrapper
 * cannot go below what this adds.
 */
export function floorWrapper({ origin, store }) {
  const expiresAt = Date.now() + HOUR;
  const prefix = `${origin}/`;
  const wrapped = async (input, init) => {
    if (!input.startsWith(prefix) || Date.now() >= expiresAt) throw new Error('the floor wrapper only sends a valid token to its origin');
    const response = await fetch(input, { ...init, headers: { authorization: `Bearer ${store.access}` } });
    if (response.status === 401) throw new Error('the floor wrapper does not retry');
    return response;
  };
  return { get: (url) => wrapped(url).then(readStatus), dispose() {} };
}

/** A tokenward session whose refresher calls the token endpoint: what every tokenward client below wraps. */
function benchSession({ tokenUrl, store, knownExpired = false }) {
  // A token the client knows to be expired: signed in an hour ago, as far as the session's clock goes
  // (a token response with an expiry already past is refused at sign-in).
  let skew = 0;
  const clock = { ...systemClock, now: () => Date.now() + skew };
  const session = createSession({
    clock,
    tokens: { accessToken: store.access, refreshToken: store.refresh, expiresIn: 3600 },
    async refresh({ signal }) {
      const response = await fetch(tokenUrl, { method: 'POST', body: refreshForm(store), signal });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) throw new RefreshFailedError('The token endpoint refused the refresh', { status: response.status, oauthError: body.error });
      adopt(store, body);
      return { accessToken: body.access_token, refreshToken: body.refresh_token, expiresIn: body.expires_in, tokenType: body.token_type };
    },
  });
  if (knownExpired) skew = 2 * HOUR;
  return session;
}

/** tokenward: `createAuthFetch` around the session. */
export function tokenward({ origin, fetch: baseFetch, ...setup }) {
  const session = benchSession(setup);
  const authFetch = createAuthFetch(session, { origins: [origin], ...(baseFetch ? { fetch: baseFetch } : {}) });
  return { get: (url) => authFetch(url).then(readStatus), fetch: authFetch, session, dispose: () => session.dispose() };
}

/** axios with tokenward's `attachAuth` (@tokenward/core/axios) on the same session. */
export function axiosAttachAuth({ origin, ...setup }) {
  const session = benchSession(setup);
  const api = axios.create();
  attachAuth(api, session, { origins: [origin] });
  return { get: (url) => api.get(url, { responseType: 'arraybuffer' }).then((response) => response.status), dispose: () => session.dispose() };
}

/** `undici.request` through `dispatcher`, the body read; the `headers()` set by hand, if given. */
function viaUndici(dispatcher, dispose, headers) {
  return {
    async get(url) {
      const { statusCode, body } = await request(url, { dispatcher, headers: headers?.() });
      await body.arrayBuffer();
      return statusCode;
    },
    dispose,
  };
}

/** undici.request on a plain Agent with a fixed header: the baseline for the interceptors below. */
export function bareUndici({ store }) {
  const agent = new Agent();
  return viaUndici(agent, () => void agent.close(), () => ({ authorization: `Bearer ${store.access}` }));
}

/** undici.request through an Agent composed with a one-line interceptor that sets the header: what composing any interceptor costs. */
export function oneLineUndiciInterceptor({ store }) {
  const agent = new Agent();
  const dispatcher = agent.compose((dispatch) => (options, handler) => dispatch({ ...options, headers: { authorization: `Bearer ${store.access}` } }, handler));
  return viaUndici(dispatcher, () => void agent.close());
}

/** undici.request through an Agent composed with tokenward's `createAuthInterceptor` (@tokenward/node). */
export function undiciInterceptor({ origin, ...setup }) {
  const session = benchSession(setup);
  const agent = new Agent();
  const dispatcher = agent.compose(createAuthInterceptor(session, { origins: [origin] }));
  return viaUndici(dispatcher, () => {
    session.dispose();
    void agent.close();
  });
}

/** @badgateway/oauth2-client's OAuth2Fetch, as its README sets it up (no scheduled refresh timer). */
export function oauth2Fetch({ origin, tokenUrl, store, knownExpired = false }) {
  const client = new OAuth2Client({ server: origin, tokenEndpoint: tokenUrl, clientId: 'bench' });
  const token = { accessToken: store.access, refreshToken: store.refresh, expiresAt: Date.now() + (knownExpired ? -HOUR : HOUR) };
  const wrapper = new OAuth2Fetch({
    client,
    // Its timer is not unref()ed and would keep the process alive; it never fires within a run anyway.
    scheduleRefresh: false,
    getNewToken: () => null,
    getStoredToken: () => token,
    storeToken: (next) => adopt(store, { access_token: next.accessToken, refresh_token: next.refreshToken }),
    onError: () => {},
  });
  return { get: (url) => wrapper.fetch(url).then(readStatus), wrapper, dispose() {} };
}

/** ky with the auth hook of its README (`beforeRequest` sets the header), and optionally its 401 hook. */
export function kyClient({ tokenUrl, store, refreshOn401 = false }) {
  const hooks = {
    beforeRequest: [
      ({ request }) => {
        request.headers.set('Authorization', `Bearer ${store.access}`);
      },
    ],
  };
  if (refreshOn401) {
    // ky's README, hooks.afterResponse: "Or retry with a fresh token on a 401 error".
    hooks.afterResponse = [
      async ({ request, response, retryCount }) => {
        if (response.status === 401 && retryCount === 0) {
          const body = await ky.post(tokenUrl, { body: refreshForm(store) }).json();
          adopt(store, body);
          const headers = new Headers(request.headers);
          headers.set('Authorization', `Bearer ${body.access_token}`);
          return ky.retry({ request: new Request(request, { headers }), code: 'TOKEN_REFRESHED' });
        }
      },
    ];
  }
  const api = ky.create({ hooks });
  return { get: (url) => api.get(url).then(readStatus), dispose() {} };
}

/** axios with axios-auth-refresh, as its README shows: a request interceptor adds the token. */
export function axiosAuthRefresh({ tokenUrl, store }) {
  const api = axios.create();
  api.interceptors.request.use((config) => {
    config.headers['Authorization'] = `Bearer ${store.access}`;
    return config;
  });
  createAuthRefresh(api, (failedRequest) =>
    axios.post(tokenUrl, refreshForm(store)).then((response) => {
      adopt(store, response.data);
      failedRequest.response.config.headers['Authorization'] = `Bearer ${response.data.access_token}`;
    }),
  );
  return { get: (url) => api.get(url, { responseType: 'arraybuffer' }).then((response) => response.status), dispose() {} };
}
