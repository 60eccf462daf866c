// The loopback server every network case talks to: an API that wants a bearer token, and an OAuth
// token endpoint that rotates refresh tokens and counts reuse.
import { createServer } from 'node:http';

const OK = '{"ok":true}';
const OK_HEADERS = { 'content-type': 'application/json', 'content-length': String(OK.length) };
const UNAUTHORIZED = '{"error":"invalid_token"}';
const UNAUTHORIZED_HEADERS = {
  'content-type': 'application/json',
  'content-length': String(UNAUTHORIZED.length),
  'www-authenticate': 'Bearer error="invalid_token"',
};

/**
 * Starts the server on 127.0.0.1, port 0.
 * - `GET /api`: 200 when `Authorization: Bearer <token>` names a valid access token, else 401;
 *   answered after `apiDelay + apiJitter * random()` ms (seeded, so runs are repeatable).
 * - `POST /token` (form, `grant_type=refresh_token`): for the current refresh token, issues a new
 *   access token and a new refresh token (rotation) after `tokenDelay` ms. Any other refresh token is
 *   refused with `400 invalid_grant`; one that was already rotated counts as reused. No family
 *   revocation, so a reuse costs only that call and the counts show each client's own behaviour.
 */
export async function startServer(config = {}) {
  let settings;
  let stats;
  let validTokens;
  let currentRefresh;
  let rotated;
  let serial;
  let random;

  function reset(next = {}) {
    settings = { apiDelay: 0, apiJitter: 0, tokenDelay: 0, seed: 1, validTokens: [], refreshToken: 'rt-0', ...next };
    stats = { apiCalls: 0, unauthorized: 0, refreshCalls: 0, reused: 0 };
    validTokens = new Set(settings.validTokens);
    currentRefresh = settings.refreshToken;
    rotated = new Set();
    serial = 0;
    random = mulberry32(settings.seed);
  }

  function api(request, response) {
    stats.apiCalls++;
    const header = request.headers.authorization;
    const ok = header !== undefined && header.startsWith('Bearer ') && validTokens.has(header.slice(7));
    if (!ok) stats.unauthorized++;
    const send = () => (ok ? response.writeHead(200, OK_HEADERS).end(OK) : response.writeHead(401, UNAUTHORIZED_HEADERS).end(UNAUTHORIZED));
    const delay = settings.apiDelay + settings.apiJitter * random();
    if (delay > 0) setTimeout(send, delay);
    else send();
    request.resume();
  }

  function token(request, response) {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      stats.refreshCalls++;
      const form = new URLSearchParams(body);
      const presented = form.get('refresh_token');
      let status = 200;
      let payload;
      if (form.get('grant_type') === 'refresh_token' && presented !== null && presented === currentRefresh) {
        rotated.add(presented);
        serial++;
        currentRefresh = `rt-${serial}`;
        validTokens.add(`at-${serial}`);
        payload = { access_token: `at-${serial}`, token_type: 'Bearer', expires_in: 3600, refresh_token: currentRefresh };
      } else {
        if (rotated.has(presented)) stats.reused++;
        status = 400;
        payload = { error: 'invalid_grant' };
      }
      const text = JSON.stringify(payload);
      const send = () => response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
      if (settings.tokenDelay > 0) setTimeout(send, settings.tokenDelay);
      else send();
    });
  }

  reset(config);
  const server = createServer((request, response) => {
    if (request.method === 'POST' && request.url === '/token') token(request, response);
    else api(request, response);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;

  return {
    origin,
    apiUrl: `${origin}/api`,
    tokenUrl: `${origin}/token`,
    reset,
    stats: () => ({ ...stats }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small seeded PRNG: the same jitter in every run. */
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
