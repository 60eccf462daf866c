// Service to service: `reports` calls the `ledger` API every second with a client-credentials token.
import { createAuthFetch, type RefreshReason, type SessionEvents } from '@tokenward/core';
import { createClientCredentials } from '@tokenward/node';
import { createIssuer } from './create-issuer.js';
import { createLedgerApi } from './create-ledger-api.js';

export interface ServiceDemoOptions {
  /** Access-token lifetime in seconds. Default 10, short so refreshes show. */
  tokenTtlSeconds?: number;
  /** Concurrent ledger calls per second. Default 5. */
  callsPerSecond?: number;
  /** Every Nth token request fails with a 503 (an outage the service rides out). Default 0: never. */
  outageEvery?: number;
  /** Where lines go. Default `console.log`. */
  print?: (line: string) => void;
  /** ANSI colours. Default: when stdout is a terminal and NO_COLOR is unset. */
  color?: boolean;
}

export interface ServiceDemoStats {
  calls: number;
  ok: number;
  failed: number;
  /** Token endpoint requests, failed ones included. */
  tokenRequests: number;
  /** Session events seen, by name. */
  events: Partial<Record<keyof SessionEvents, number>>;
}

export interface ServiceDemo {
  stats(): ServiceDemoStats;
  /** Stops calling, disposes the token source and closes both servers. */
  stop(): Promise<void>;
}

const AUDIENCE = 'urn:tokenward:ledger';
const REASONS: Record<RefreshReason, string> = {
  boot: 'first token',
  scheduled: 'ahead of expiry',
  demand: 'a call needed a token',
  unauthorized: 'after a 401',
  manual: 'refresh() called',
  retry: 'retry after a failure',
};

/**
 * Starts an issuer, the ledger API and the `reports` service in this process, and prints one line
 * per session event plus one summary per second. Tokens are never printed.
 * @example
 * const demo = await startServiceDemo({ tokenTtlSeconds: 10 });
 * process.once('SIGINT', () => void demo.stop());
 */
export async function startServiceDemo(options: ServiceDemoOptions = {}): Promise<ServiceDemo> {
  const { tokenTtlSeconds = 10, callsPerSecond = 5, outageEvery = 0, print = console.log } = options;
  const color = options.color ?? (process.stdout.isTTY && !process.env.NO_COLOR);
  const paint = (code: string, text: string) => (color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const time = () => new Date().toISOString().slice(11, 23);
  const line = (name: string, tone: string, detail: string) => print(`${paint('2', `service ${time()}`)}  ${paint(tone, name.padEnd(15))} ${detail}`);

  const issuer = await createIssuer({ accessTokenTtl: tokenTtlSeconds, audience: AUDIENCE, outageEvery });
  const ledger = await createLedgerApi({ issuer: issuer.url, jwksUri: issuer.jwksUri, audience: AUDIENCE });
  const tokens = createClientCredentials({
    issuer: issuer.url,
    clientId: issuer.clientId,
    privateKey: issuer.clientKey,
    keyId: issuer.clientKeyId,
    scope: 'ledger:read',
    audience: AUDIENCE,
    audienceParameter: 'resource',
  });
  const session = tokens.session();
  const ledgerFetch = createAuthFetch(session, { origins: [ledger.url] });
  const totals = { calls: 0, ok: 0, failed: 0 };
  const events: ServiceDemoStats['events'] = {};
  const count = (name: keyof SessionEvents) => (events[name] = (events[name] ?? 0) + 1);
  const inSeconds = (at: number | undefined) => (at === undefined ? '-' : `${(Math.max(0, at - Date.now()) / 1000).toFixed(1)} s`);

  session.on('status', () => count('status'));
  session.on('refreshed', ({ reason, expiresAt }) => {
    count('refreshed');
    line('refreshed', '32', `${REASONS[reason]} · token valid ${inSeconds(expiresAt)} · token requests so far: ${issuer.counts.tokenRequests}`);
  });
  session.on('refresh-failed', ({ error, terminal, retryAt }) => {
    count('refresh-failed');
    const next = terminal ? 'terminal' : `retry in ${inSeconds(retryAt)}; the current token is still used`;
    line('refresh-failed', '33', `${error.message} · ${next}`);
  });
  session.on('session-expired', ({ reason }) => {
    count('session-expired');
    line('session-expired', '31', reason);
  });
  for (const name of ['signed-in', 'signed-out'] as const) session.on(name, () => (count(name), line(name, '36', '')));

  line('started', '1', `reports -> ledger API ${ledger.url}, ${callsPerSecond} calls/s; client credentials + private_key_jwt from ${issuer.url}, ${tokenTtlSeconds} s tokens`);

  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    const results = await Promise.allSettled(Array.from({ length: callsPerSecond }, () => ledgerFetch(`${ledger.url}/balance`)));
    busy = false;
    if (stopped) return;
    const ok = results.filter((result) => result.status === 'fulfilled' && result.value.ok).length;
    totals.calls += results.length;
    totals.ok += ok;
    totals.failed += results.length - ok;
    const { status, expiresAt, refreshAt, retryAt } = session.getSnapshot();
    const next = status === 'backoff' ? `retry in ${inSeconds(retryAt)}` : `refresh in ${inSeconds(refreshAt)}`;
    const summary = `${ok}/${results.length} calls ok (${totals.ok} so far) · token requests: ${issuer.counts.tokenRequests} · ${status}, expires in ${inSeconds(expiresAt)}, ${next}`;
    print(paint('2', `service ${time()}  ${'·'.padEnd(15)} ${summary}`));
  };
  const timer = setInterval(() => void tick(), 1000);

  return {
    stats: () => ({ ...totals, tokenRequests: issuer.counts.tokenRequests, events: { ...events } }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      tokens.dispose();
      await Promise.all([ledger.close(), issuer.close()]);
    },
  };
}
