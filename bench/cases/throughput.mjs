// 1. Throughput over loopback with a valid token, 1 and 64 requests in flight: each client as a
// ratio of bare fetch, measured pair by pair in alternating rounds. Two figures per round:
// requests per wall-clock second (the throughput), and requests per second of this process's CPU
// time (the server runs in another process), which other work on the machine disturbs far less.
import { axiosAuthRefresh, bareFetch, kyClient, oauth2Fetch, tokenward } from '../lib/clients.mjs';
import { startServerProcess } from '../lib/server-process.mjs';
import { compare, formatSpread, interleave } from '../lib/stats.mjs';

const CANDIDATES = {
  // The control: bare fetch against itself. Its spread is the noise floor of this machine in this run.
  'bare fetch (A/A control)': (setup) => bareFetch(setup),
  tokenward: (setup) => tokenward(setup),
  'OAuth2Fetch': (setup) => oauth2Fetch(setup),
  'ky + auth hook': (setup) => kyClient(setup),
  'axios + axios-auth-refresh': (setup) => axiosAuthRefresh(setup),
};

/** One round: `inFlight` callers loop for `durationMs` (or until `maxRequests`). */
async function measure(client, url, inFlight, { durationMs, maxRequests }) {
  let done = 0;
  let failed = 0;
  const cpuBefore = process.cpuUsage();
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
  const seconds = (performance.now() - start) / 1000;
  const { user, system } = process.cpuUsage(cpuBefore);
  if (failed > 0) throw new Error(`${failed} of ${done} requests failed during a throughput round`);
  return { rps: done / seconds, cpuRps: done / ((user + system) / 1e6) };
}

export async function run({ smoke, log, only = Object.keys(CANDIDATES) }) {
  const rounds = smoke ? 2 : 30;
  const round = smoke ? { durationMs: 2_000, maxRequests: 200 } : { durationMs: 150, maxRequests: Infinity };
  const warmup = smoke ? { durationMs: 2_000, maxRequests: 100 } : { durationMs: 300, maxRequests: Infinity };
  const server = await startServerProcess({ validTokens: ['valid'] });
  const setup = { origin: server.origin, tokenUrl: server.tokenUrl, store: { access: 'valid', refresh: 'rt-0' } };
  const url = server.apiUrl;
  const results = {};
  try {
    for (const inFlight of [1, 64]) {
      results[inFlight] = {};
      const baseline = bareFetch(setup);
      for (const [name, create] of Object.entries(CANDIDATES).filter(([candidate]) => only.includes(candidate))) {
        const candidate = create({ ...setup, store: { ...setup.store } });
        await measure(baseline, url, inFlight, warmup);
        await measure(candidate, url, inFlight, warmup);
        const pairs = await interleave({
          rounds,
          measure: (which) => measure(which === 'baseline' ? baseline : candidate, url, inFlight, round),
        });
        candidate.dispose();
        const wall = compare(pairs, 'rps');
        const cpu = compare(pairs, 'cpuRps');
        results[inFlight][name] = {
          ratio: wall.paired,
          requestsPerSecond: wall.candidate,
          baselineRequestsPerSecond: wall.baseline,
          cpuRatio: cpu.paired,
          requestsPerCpuSecond: cpu.candidate,
        };
        log(`  ${String(inFlight).padStart(2)} in flight  ${name.padEnd(28)} ${formatSpread(wall.paired)} of bare fetch; per CPU second ${formatSpread(cpu.paired)}  (${Math.round(wall.candidate.median)} vs ${Math.round(wall.baseline.median)} req/s)`);
      }
    }
  } finally {
    await server.close();
  }
  return { rounds, roundMs: smoke ? null : round.durationMs, inFlight: results };
}
