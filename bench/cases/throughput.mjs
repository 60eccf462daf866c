// 1. Throughput over loopback with a valid token, 1 and 64 requests in flight: each client as a
// ratio of bare fetch, measured pair by pair, interleaved, in the same run.
// - 1 in flight: requests alternate between bare fetch and the candidate (B C, C B, ...), so both see
//   the same moment of a shared machine. One caller's throughput is 1 / latency: each block of
//   request pairs gives the ratio of the median latencies, robust to the odd descheduled request.
// - 64 in flight: the two cannot share the event loop without sharing their costs, so they run in
//   alternating rounds (B C, C B, ...), each round's requests per second paired with the next one's.
//   A round's rate moves by about 10 % on its own here, whatever its length, so the two clients
//   judged against the targets (tokenward and the two controls) get six times as many rounds.
import { axiosAttachAuth, axiosAuthRefresh, bareFetch, bareUndici, floorWrapper, kyClient, oauth2Fetch, oneLineUndiciInterceptor, oneLineWrapper, tokenward, undiciInterceptor } from '../lib/clients.mjs';
import { startServerProcess } from '../lib/server-process.mjs';
import { compare, formatSpread, interleave, median, summarize } from '../lib/stats.mjs';

/** Clients whose 64-in-flight ratio is judged against a target, and so measured in more rounds. */
const JUDGED = new Set(['bare fetch (A/A control)', 'one-line async wrapper (control)', 'tokenward']);

const CANDIDATES = {
  // The control: bare fetch against itself. Its spread is the noise floor of this machine in this run.
  'bare fetch (A/A control)': (setup) => bareFetch(setup),
  // The second control: what any wrapper costs (one more promise), so the table separates it from what tokenward adds.
  'one-line async wrapper (control)': (setup) => oneLineWrapper(setup),
  tokenward: (setup) => tokenward(setup),
  'OAuth2Fetch': (setup) => oauth2Fetch(setup),
  'ky + auth hook': (setup) => kyClient(setup),
  'axios + axios-auth-refresh': (setup) => axiosAuthRefresh(setup),
  'axios + tokenward attachAuth': (setup) => axiosAttachAuth(setup),
  'undici.request, fixed header (undici control)': (setup) => bareUndici(setup),
  'undici + one-line interceptor (control)': (setup) => oneLineUndiciInterceptor(setup),
  'undici + tokenward interceptor': (setup) => undiciInterceptor(setup),
};

async function timed(client, url) {
  const sent = performance.now();
  const status = await client.get(url);
  if (status !== 200) throw new Error(`a throughput request answered ${status}`);
  return performance.now() - sent;
}

/** One caller, requests alternating between the two clients; one latency ratio per block. */
async function alternating(baseline, candidate, url, { blocks, pairs }) {
  const ratios = [];
  const latencies = { baseline: [], candidate: [] };
  for (let block = 0; block < blocks; block++) {
    const b = [];
    const c = [];
    for (let pair = 0; pair < pairs; pair++) {
      const order = pair % 2 === 0 ? [[baseline, b], [candidate, c]] : [[candidate, c], [baseline, b]];
      for (const [client, latencies] of order) latencies.push(await timed(client, url));
    }
    ratios.push(median(b) / median(c));
    latencies.baseline.push(median(b));
    latencies.candidate.push(median(c));
  }
  return {
    ratio: summarize(ratios),
    requestsPerSecond: 1000 / median(latencies.candidate),
    baselineRequestsPerSecond: 1000 / median(latencies.baseline),
  };
}

/** One round of `inFlight` callers looping for `durationMs` (or until `maxRequests`): requests per second. */
async function round(client, url, inFlight, { durationMs, maxRequests }) {
  let done = 0;
  const start = performance.now();
  const end = start + durationMs;
  const loop = async () => {
    while (performance.now() < end && done < maxRequests) {
      await timed(client, url);
      done++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return { rps: (done * 1000) / (performance.now() - start) };
}

export async function run({ smoke, log }) {
  const one = smoke ? { blocks: 2, pairs: 50 } : { blocks: 30, pairs: 200 };
  const many = smoke ? { rounds: 2, durationMs: 2_000, maxRequests: 200 } : { rounds: 16, durationMs: 600, maxRequests: Infinity };
  const judged = smoke ? many : { ...many, rounds: 96, durationMs: 200 };
  const warmup = smoke ? { durationMs: 2_000, maxRequests: 100 } : { durationMs: 300, maxRequests: Infinity };
  const server = await startServerProcess({ validTokens: ['valid'] });
  const setup = { origin: server.origin, tokenUrl: server.tokenUrl, store: { access: 'valid', refresh: 'rt-0' } };
  const url = server.apiUrl;
  const baseline = bareFetch(setup);
  const results = { 1: {}, 64: {} };
  const report = (inFlight, name, figure) =>
    log(`  ${String(inFlight).padStart(2)} in flight  ${name.padEnd(28)} ${formatSpread(figure.ratio)} of bare fetch  (${Math.round(figure.requestsPerSecond)} vs ${Math.round(figure.baselineRequestsPerSecond)} req/s)`);
  try {
    for (const [name, create] of Object.entries(CANDIDATES)) {
      const candidate = create({ ...setup, store: { ...setup.store } });
      for (const client of [baseline, candidate]) await round(client, url, 1, warmup);
      results[1][name] = await alternating(baseline, candidate, url, one);
      report(1, name, results[1][name]);
      candidate.dispose();
    }
    for (const [name, create] of Object.entries(CANDIDATES)) {
      const candidate = create({ ...setup, store: { ...setup.store } });
      for (const client of [baseline, candidate]) await round(client, url, 64, warmup);
      const rounds = JUDGED.has(name) ? judged : many;
      const pairs = await interleave({ rounds: rounds.rounds, measure: (which) => round(which === 'baseline' ? baseline : candidate, url, 64, rounds) });
      const { paired, candidate: rps, baseline: baselineRps } = compare(pairs, 'rps');
      results[64][name] = { ratio: paired, requestsPerSecond: rps.median, baselineRequestsPerSecond: baselineRps.median };
      report(64, name, results[64][name]);
      candidate.dispose();
    }
    // The gap target, measured directly: tokenward against the one-line wrapper, request by request
    // (1 in flight) and round by round (64), rather than as the difference of two ratios to bare fetch
    // taken minutes apart. The floor, a hand-written safe wrapper, is paired the same way: the least any
    // wrapper that does the job adds.
    const wrapper = oneLineWrapper({ ...setup, store: { ...setup.store } });
    const candidate = tokenward({ ...setup, store: { ...setup.store } });
    for (const client of [wrapper, candidate]) await round(client, url, 1, warmup);
    const floor = floorWrapper({ ...setup, store: { ...setup.store } });
    await round(floor, url, 1, warmup);
    results.direct = { 1: await alternating(wrapper, candidate, url, one), floor: { 1: await alternating(wrapper, floor, url, one) } };
    const pairs = await interleave({ rounds: judged.rounds, measure: (which) => round(which === 'baseline' ? wrapper : candidate, url, 64, judged) });
    results.direct[64] = { ratio: compare(pairs, 'rps').paired };
    log(`   1 in flight  tokenward against the one-line wrapper: ${formatSpread(results.direct[1].ratio)}; 64 in flight: ${formatSpread(results.direct[64].ratio)}; the floor (1 in flight): ${formatSpread(results.direct.floor[1].ratio)}`);
    candidate.dispose();
  } finally {
    await server.close();
  }
  return {
    method: {
      1: `requests alternating between bare fetch and the client, ${one.blocks} blocks of ${one.pairs} pairs; ratio of median latencies per block`,
      64: `alternating rounds, ${judged.rounds} of ${judged.durationMs} ms for tokenward and the two controls (judged against the targets), ${many.rounds} of ${many.durationMs} ms for the others; ratio of requests per second per pair of rounds`,
    },
    inFlight: { 1: results[1], 64: results[64] },
    againstWrapper: results.direct,
  };
}
