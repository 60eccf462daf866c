// The faulty world the soaks run against: the reference auth server (strict reuse detection, 2 s
// access tokens) whose `faults` hook makes /auth/refresh answer, at random, 500, 503 or 429 with
// Retry-After, an HTML error page, malformed JSON, a token with no expiry, a hang past the client's
// timeout, and now and then a terminal 401 invalid_grant; plus an API that verifies the access token
// strictly (no clock tolerance: an expired token gets 401). Every refresh is logged with its time and
// outcome so the soak can check the refresh rate against its bound.
//
// Runs in-process (`startSoakServer`) or as a child process (`node --import tsx soak-server.ts
// '<json options>'`), which prints `SOAK_SERVER {"url":...}` and stops when its stdin closes.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createAuthServer, listen, type AuthServerStats, type ExtraRoute } from '../../../examples/auth-server/src/index.js';
import { seededRandom } from '../helpers/random.js';

export type FaultKind = 'ok' | '500' | '503-retry-after' | '429-retry-after' | 'html' | 'malformed-json' | 'no-expiry' | 'hang' | 'terminal';
/** `faulty`: random faults at `faultRate`; `healthy`: none; `down`: every refresh answers 503. */
export type SoakMode = 'faulty' | 'healthy' | 'down';

export interface SoakServerOptions {
  /** Share of refreshes that get a transient fault. Default 0.35. */
  faultRate?: number;
  /** Every n-th refresh answers a terminal 401 invalid_grant (0: never). Default 0. */
  terminalEvery?: number;
  accessTtlSeconds?: number;
  seed?: number;
  mode?: SoakMode;
  /** Extra routes (the control surface of a server in another process). */
  extraRoutes?: ExtraRoute[];
  /** A directory served at `/` (the Chromium soak's page and bundle). */
  staticDir?: string;
}

export interface RefreshLogEntry {
  /** Arrival, epoch ms. */
  at: number;
  /** When the client sent it, epoch ms, if it said so (the Chromium soak's page does: `x-soak-sent-at`). */
  sentAt?: number;
  /** When the answer was sent, epoch ms. */
  end: number;
  kind: FaultKind;
  status: number;
  /** The Retry-After the answer carried, in seconds. */
  retryAfter?: number;
}

export interface SoakReport {
  stats: AuthServerStats;
  log: RefreshLogEntry[];
  api: { calls: number; unauthorized: number };
}

export interface SoakServer {
  url: string;
  setMode(mode: SoakMode): void;
  report(): SoakReport;
  close(): Promise<void>;
}

/** Transient faults, served in turn whenever a refresh is to fail: every kind occurs once faults reach seven. */
const TRANSIENT: Array<Exclude<FaultKind, 'ok' | 'terminal'>> = ['500', 'hang', '503-retry-after', 'html', '429-retry-after', 'malformed-json', 'no-expiry'];

export async function startSoakServer(options: SoakServerOptions = {}): Promise<SoakServer> {
  const { faultRate = 0.35, terminalEvery = 0, accessTtlSeconds = 2, seed = 7 } = options;
  let mode: SoakMode = options.mode ?? 'faulty';
  const random = seededRandom(seed);
  const log: RefreshLogEntry[] = [];
  const decided = new WeakMap<Request, FaultKind>();
  const api = { calls: 0, unauthorized: 0 };
  let refreshes = 0;
  let faults = 0;

  const strictApi: ExtraRoute = {
    method: 'GET',
    path: '/api/data',
    async handler(request) {
      api.calls++;
      const token = /^Bearer ([\w.~+/-]+=*)$/.exec(request.headers.get('authorization') ?? '')?.[1];
      try {
        if (!token) throw new Error('no token');
        // No clock tolerance: a token is refused from its exp on.
        await jwtVerify(token, keySet, { issuer: server.issuer, audience: server.audience, algorithms: ['ES256'] });
        return Response.json({ ok: true });
      } catch {
        api.unauthorized++;
        return Response.json({ error: 'invalid_token' }, { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
      }
    },
  };

  const server = createAuthServer({
    accessTtlSeconds,
    graceMs: 0,
    keyRotationMs: 0,
    extraRoutes: [strictApi, ...(options.extraRoutes ?? [])],
    staticDir: options.staticDir,
    faults(request) {
      const kind = decide();
      decided.set(request, kind);
      return answer(kind, request);
    },
  });
  // Keys never rotate here (keyRotationMs 0): one local key set verifies every token.
  const keySet = createLocalJWKSet(await server.jwks());

  function decide(): FaultKind {
    refreshes++;
    if (mode === 'healthy') return 'ok';
    if (mode === 'down') return '503-retry-after';
    if (terminalEvery > 0 && refreshes % terminalEvery === 0) return 'terminal';
    if (random() >= faultRate) return 'ok';
    return TRANSIENT[faults++ % TRANSIENT.length]!;
  }

  function answer(kind: FaultKind, request: Request): Response | Promise<Response | undefined> | undefined {
    const json = (status: number, body: string, headers: Record<string, string> = {}) =>
      new Response(body, { status, headers: { 'content-type': 'application/json', ...headers } });
    switch (kind) {
      case 'ok':
        return undefined;
      case '500':
        return json(500, '{"error":"server_error"}');
      case '503-retry-after':
        return json(503, '{"error":"temporarily_unavailable"}', { 'retry-after': '1' });
      case '429-retry-after':
        return json(429, '{"error":"slow_down"}', { 'retry-after': random() < 0.5 ? '0' : '1' });
      case 'html':
        return new Response('<!doctype html><title>502</title><h1>Bad Gateway</h1>', { status: 502, headers: { 'content-type': 'text/html' } });
      case 'malformed-json':
        return json(200, '{"access_token": "eyJhbGciOiJFUzI1NiJ9.e30.sig", "expires_in": 2');
      case 'no-expiry':
        return json(200, JSON.stringify({ access_token: 'opaque-token-without-expiry', token_type: 'Bearer' }));
      case 'terminal':
        return json(401, '{"error":"invalid_grant"}');
      case 'hang':
        // Hangs until the client gives up (its timeout aborts the request and closes the socket).
        return new Promise((resolve) => request.signal.addEventListener('abort', () => resolve(json(499, '{}')), { once: true }));
    }
  }

  const http = await listen(
    {
      async handle(request) {
        if (new URL(request.url).pathname !== '/auth/refresh') return server.handle(request);
        const at = Date.now();
        const response = await server.handle(request);
        const retryAfter = response.headers.get('retry-after');
        const sentAt = Number(request.headers.get('x-soak-sent-at')) || undefined;
        log.push({ at, ...(sentAt ? { sentAt } : {}), end: Date.now(), kind: decided.get(request) ?? 'ok', status: response.status, ...(retryAfter ? { retryAfter: Number(retryAfter) } : {}) });
        return response;
      },
    },
    { port: 0 },
  );

  return {
    url: http.url,
    setMode: (next) => void (mode = next),
    report: () => ({ stats: server.stats(), log: [...log], api: { ...api } }),
    async close() {
      await http.close();
      server.close();
    },
  };
}

/** A control surface for a server in another process: `POST /soak/mode`, `GET /soak/report`. */
function controlRoutes(get: () => SoakServer | undefined): ExtraRoute[] {
  return [
    {
      method: 'POST',
      path: '/soak/mode',
      handler: async (request) => {
        get()?.setMode(((await request.json()) as { mode: SoakMode }).mode);
        return new Response(null, { status: 204 });
      },
    },
    { method: 'GET', path: '/soak/report', handler: () => Response.json(get()?.report()) },
  ];
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const options = JSON.parse(process.argv[2] ?? '{}') as SoakServerOptions;
  const soak: SoakServer = await startSoakServer({ ...options, extraRoutes: controlRoutes(() => soak) });
  process.stdout.write(`SOAK_SERVER ${JSON.stringify({ url: soak.url })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void soak.close().then(() => process.exit(0)));
}
