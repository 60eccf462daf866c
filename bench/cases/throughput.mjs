// 1. Throughput over loopback with a valid token, 1 and 64 requests in flight: each client as a
// ratio of bare fetch, measured pair by pair in alternating rounds.
import { axiosAuthRefresh, bareFetch, kyClient, oauth2Fetch, tokenward } from '../lib/clients.mjs';
import { startServerThread } from '../lib/server-thread.mjs';
import { formatSpread, interleave } from '../lib/stats.mjs';

const CANDIDATES = {
  tokenward: (setup) => tokenward(setup),
  'OAuth2Fetch': (setup) => oauth2Fetch(setup),
  'ky + auth hook': (setup) => kyClient(setup),
  'axios + axios-auth-refresh': (setup) => axiosAuthRefresh(setup),
};

/** Requests per second with `inFlight` callers looping, for `durationMs` or `maxRequests`. */
async function measure(client, url, inFlight, { durationMs, maxRequests }) {
  let done = 0;
  let failed = 0;
  const start = performance.now();
  const end = start + durationMs;
  const loop = async () => {
    while (performance.now() < end && done < maxRequests) {
      const status = await client.get(url);
      done++;
      if (status !== 200) failed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  if (failed > 0) throw new Error(`${failed} of ${done} requests failed during a throughput round`);
  return (done * 1000) / (performance.now() - start);
}

export async function run({ smoke, log }) {
  const rounds = smoke ? 2 : 7;
  const round = smoke ? { durationMs: 2_000, maxRequests: 200 } : { durationMs: 700, maxRequests: Infinity };
  const warmup = smoke ? { durationMs: 2_000, maxRequests: 100 } : { durationMs: 300, maxRequests: Infinity };
  const server = await startServerThread({ validTokens: ['valid'] });
  const setup = { origin: server.origin, tokenUrl: server.tokenUrl, store: { access: 'valid', refresh: 'rt-0' } };
  const url = server.apiUrl;
  const results = {};
  try {
    for (const inFlight of [1, 64]) {
      results[inFlight] = {};
      const baseline = bareFetch(setup);
      for (const [name, create] of Object.entries(CANDIDATES)) {
        const candidate = create({ ...setup, store: { ...setup.store } });
        await measure(baseline, url, inFlight, warmup);
        await measure(candidate, url, inFlight, warmup);
        const outcome = await interleave({
          rounds,
          measure: (which) => measure(which === 'baseline' ? baseline : candidate, url, inFlight, round),
        });
        candidate.dispose();
        results[inFlight][name] = {
          ratio: outcome.ratio,
          requestsPerSecond: outcome.candidate,
          baselineRequestsPerSecond: outcome.baseline,
        };
        log(`  ${String(inFlight).padStart(2)} in flight  ${name.padEnd(28)} ${formatSpread(outcome.ratio)} of bare fetch  (${Math.round(outcome.candidate.median)} vs ${Math.round(outcome.baseline.median)} req/s)`);
      }
    }
  } finally {
    await server.close();
  }
  return { rounds, roundMs: smoke ? null : round.durationMs, inFlight: results };
}
