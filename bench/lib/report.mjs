// Turns the results into the targets verdict and the markdown that the README includes.
import { TIMINGS } from '../cases/stampede.mjs';
import { medianError } from './stats.mjs';

/** tokenward behind each HTTP client: all held to the same stampede counts. */
const TOKENWARD_CLIENTS = ['tokenward', 'axios + tokenward attachAuth', 'undici + tokenward interceptor'];

const FULL_SDKS = ['oidc-client-ts', '@supabase/auth-js (GoTrueClient)', '@auth0/auth0-spa-js', '@okta/okta-auth-js'];

const ratio = (summary) => `${summary.median.toFixed(3)} (${summary.min.toFixed(3)}–${summary.max.toFixed(3)})`;
const ns = (value) => `${Math.round(value).toLocaleString('en')} ns`;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;
const range = (values) => (Math.min(...values) === Math.max(...values) ? `${values[0]}` : `${Math.min(...values)}–${Math.max(...values)}`);

function table(headers, rows) {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** Each tokenward target with its figure; `met`: true, false, 'inconclusive' (within noise), or null (nothing to judge yet). */
export function targets(cases) {
  const list = [];
  const add = (what, target, value, met) => list.push({ what, target, value, met });
  const throughput = cases.throughput?.inFlight;
  for (const inFlight of ['1', '64']) {
    const figure = throughput?.[inFlight]?.tokenward;
    const control = throughput?.[inFlight]?.['bare fetch (A/A control)'];
    if (!figure) continue;
    // Judged with the median's uncertainty: met or missed only when 2 standard errors clear 0.97.
    const { median: mid, samples } = figure.ratio;
    const error = medianError(samples);
    const met = mid - 2 * error >= 0.97 ? true : mid + 2 * error < 0.97 ? false : 'inconclusive';
    const value = `${mid.toFixed(3)} ± ${error.toFixed(3)} ${ratio(figure.ratio).split(' ')[1]}${control ? `; A/A control ${control.ratio.median.toFixed(3)} ± ${medianError(control.ratio.samples).toFixed(3)}` : ''}`;
    add(`throughput, ${inFlight} in flight (ratio of bare fetch: median ± standard error (min–max))`, '>= 0.97', value, met);
    // What tokenward adds beyond what any wrapper costs: the gap to the one-line async wrapper,
    // measured directly where the run paired the two (1 minus tokenward's ratio of the wrapper).
    const direct = cases.throughput?.againstWrapper?.[inFlight];
    if (direct) {
      const gap = 1 - direct.ratio.median;
      const gapError = medianError(direct.ratio.samples);
      const close = gap - 2 * gapError <= 0.01 ? (gap + 2 * gapError <= 0.01 ? true : 'inconclusive') : false;
      // The floor: what a hand-written wrapper that does only what any safe one must adds, paired the same way.
      const floor = cases.throughput.againstWrapper.floor?.[inFlight];
      const floorGap = floor ? `; the floor, a hand-written safe wrapper: ${(1 - floor.ratio.median).toFixed(3)} ± ${medianError(floor.ratio.samples).toFixed(3)}` : '';
      add(`throughput, ${inFlight} in flight, gap to the one-line async wrapper (1 minus tokenward's ratio of it, paired directly)`, '<= 0.01', `${gap.toFixed(3)} ± ${gapError.toFixed(3)} (${ratio(direct.ratio)} of the wrapper)${floorGap}`, close);
    }
  }
  for (const [name, figure] of Object.entries(cases.attachCost?.cases ?? {})) {
    if (name.startsWith('tokenward')) add(`attach cost, ${name.replace('tokenward ', '')}`, '< 1,000 ns', ns(figure.overheadNs.median), figure.overheadNs.median < 1000);
  }
  for (const [timing, clients] of Object.entries(cases.stampede?.timings ?? {})) {
    for (const client of TOKENWARD_CLIENTS.filter((name) => clients[name])) {
      const { refreshCalls, failed, reused } = clients[client].worst;
      const who = client === 'tokenward' ? '' : ` (${client})`;
      add(`stampede${who}, ${timing} (refresh calls / failed / reused)`, '1 / 0 / 0', `${refreshCalls} / ${failed} / ${reused}`, refreshCalls === 1 && failed === 0 && reused === 0);
    }
  }
  const entries = cases.bundleSize?.entries;
  if (entries) {
    const browser = entries['@tokenward/browser (entry)'];
    const sdks = FULL_SDKS.filter((name) => entries[name]?.gzipBytes);
    const smallest = Math.min(...sdks.map((name) => entries[name].gzipBytes));
    if (sdks.length > 0) {
      const met = browser?.gzipBytes ? browser.gzipBytes < smallest : null;
      add('browser entry min+gzip, smaller than every full SDK', `< ${kB(smallest)}`, browser?.gzipBytes ? kB(browser.gzipBytes) : browser?.status ?? 'missing', met);
    }
  }
  const node = cases.node;
  if (node?.coldCallsPerKey !== undefined) {
    const calls = [node.coldCallsPerKey, node.expiredCallsPerKey].filter((value) => value !== undefined);
    add(`node, token-endpoint calls under ${node.callers.toLocaleString('en')} concurrent callers`, '1', range(calls), calls.every((value) => value === 1));
  }
  const server = cases.server;
  if (server) {
    const runs = server.burst.runs;
    const exact = runs.every((run) => run.rotations === 1 && run.revocations === 0);
    add(`server burst, ${server.burst.calls} concurrent refreshes of one family (rotations / revocations, ${runs.length} runs)`, '1 / 0', `${range(runs.map((run) => run.rotations))} / ${range(runs.map((run) => run.revocations))}`, exact);
    const { median: mid, samples } = server.throughput.ratio;
    const error = medianError(samples);
    const met = mid - 2 * error >= 0.8 ? true : mid + 2 * error < 0.8 ? false : 'inconclusive';
    const floor = server.throughput.floorRatio ? `; the floor (Request, one raw signature, Response) ${ratio(server.throughput.floorRatio)}` : '';
    const byHand = server.throughput.byHandRatio ? `; the contract by hand ${ratio(server.throughput.byHandRatio)}` : '';
    const lean = server.throughput.leanRatio ? `; tokenward without rate limits and grace ${ratio(server.throughput.leanRatio)}` : '';
    add('server refreshes/s for distinct families, ratio of jose ES256 signatures/s (median ± standard error (min–max))', '>= 0.8', `${mid.toFixed(3)} ± ${error.toFixed(3)} ${ratio(server.throughput.ratio).split(' ')[1]}${floor}${byHand}${lean}`, met);
  }
  const fleet = cases.fleet;
  if (fleet?.coldCallsPerKey) {
    const { redis, memory: alone } = fleet.coldCallsPerKey;
    add(`fleet, token-endpoint calls per key, ${fleet.processes} processes × ${fleet.callers} cold callers (Redis store; in-process cache alone makes ${alone})`, '1', String(redis), redis === 1);
    const { median: mid, samples } = fleet.cachedRatio;
    const error = medianError(samples);
    const met = mid - 2 * error >= 0.95 ? true : mid + 2 * error < 0.95 ? false : 'inconclusive';
    const control = fleet.controlRatio;
    const value = `${mid.toFixed(3)} ± ${error.toFixed(3)}; A/A control ${control.median.toFixed(3)} ± ${medianError(control.samples).toFixed(3)}`;
    add('fleet, cached getAccessToken() through the Redis store, ratio of the in-process cache (median ± standard error)', '>= 0.95', value, met);
  }
  const memory = cases.memory?.subjects?.['tokenward createAuthFetch'];
  if (memory) add(`heap growth after ${memory.requests.toLocaleString('en')} requests`, '< 1 MB', kB(memory.growthBytes), memory.growthBytes < 1e6);
  return list;
}

export function toMarkdown({ machine, mode, durationSeconds, cases, errors, targets: verdicts }) {
  const out = [];
  out.push(`Measured ${machine.date} on ${machine.cpu} (${machine.cores} cores), Node ${machine.node}, ${machine.platform}; load average (1, 5, 15 min) ${machine.loadAverage.map((x) => x.toFixed(2)).join(' ')} at the start, ${machine.loadAverageEnd.map((x) => x.toFixed(2)).join(' ')} at the end; ${mode} run, ${Math.round(durationSeconds)} s. Produced by \`npm run bench\`.`);

  out.push('\n### tokenward against its targets\n');
  out.push(table(['what', 'target', 'measured', ''], verdicts.map((t) => [t.what, t.target, t.value, t.met === null ? 'pending' : t.met === 'inconclusive' ? 'inconclusive: within noise of the target' : t.met ? 'met' : '**missed**'])));

  const throughput = cases.throughput?.inFlight;
  if (throughput) {
    out.push('\n### 1. Throughput over loopback, valid token, as a ratio of bare fetch (median, min–max)\n');
    const names = Object.keys(throughput['1']);
    const cells = (figure) => [ratio(figure.ratio), Math.round(figure.requestsPerSecond).toLocaleString('en')];
    out.push(table(['client', '1 in flight', 'req/s', '64 in flight', 'req/s'], names.map((name) => [name, ...cells(throughput['1'][name]), ...cells(throughput['64'][name])])));
    out.push(`\n1 in flight: ${cases.throughput.method[1]}. 64 in flight: ${cases.throughput.method[64]}. The A/A control (bare fetch against itself) shows how far noise alone moves a ratio in this run; the one-line async wrapper control shows what any wrapper costs. Bare fetch sends the same \`Authorization\` header by hand; the server runs in its own process; axios goes through node:http rather than undici, so its ratio includes that difference; undici + tokenward interceptor calls \`undici.request\` without fetch's layer, so its ratio passes 1: what the interceptor costs is its distance to the undici control (\`undici.request\` with the header set by hand), of which composing any interceptor takes the distance of the one-line interceptor control.`);
  }

  const attach = cases.attachCost?.cases;
  if (attach) {
    out.push('\n### 2. Cost of deciding and attaching the token (stub fetch returning a cached Response)\n');
    out.push(table(['call', 'over a direct call', 'wrapped', 'direct'], Object.entries(attach).map(([name, f]) => [name, ns(f.overheadNs.median), ns(f.wrappedNs.median), ns(f.directNs.median)])));
  }

  const stampede = cases.stampede?.timings;
  if (stampede) {
    out.push(`\n### 3. Stampede: ${cases.stampede.calls} concurrent calls, expired access token, rotating refresh tokens (worst of ${cases.stampede.repeats} runs; ranges where runs differed)\n`);
    const clients = Object.keys(Object.values(stampede)[0]);
    out.push(table(['client', ...Object.keys(stampede).map((timing) => `${timing}: refresh calls / failed / reused`)], clients.map((client) => [
      client,
      ...Object.keys(stampede).map((timing) => {
        const { runs } = stampede[timing][client];
        return ['refreshCalls', 'failed', 'reused'].map((key) => range(runs.map((r) => r[key]))).join(' / ');
      }),
    ])));
    out.push(`\n${Object.entries(TIMINGS).map(([name, timing]) => `*${name}*: ${timing.description}.`).join(' ')} axios-auth-refresh and ky's hook do not track expiry, so they learn it from a 401 in every timing. The token endpoint rotates refresh tokens and refuses a rotated one with \`invalid_grant\` (counted as reused; no family revocation).`);
  }

  const entries = cases.bundleSize?.entries;
  if (entries) {
    out.push('\n### 4. Browser bundle, minified + gzip -9, all dependencies included (esbuild, platform browser)\n');
    out.push(table(['entry', 'min+gzip', 'min'], Object.entries(entries).map(([name, e]) => (e.gzipBytes ? [name, kB(e.gzipBytes), kB(e.minifiedBytes)] : [name, e.status, '']))));
  }

  const node = cases.node;
  if (node?.cachedCallsPerSecond) {
    out.push('\n### 5. Node\n');
    const rows = [['`await getAccessToken()` on a cached token', `${Math.round(node.cachedCallsPerSecond).toLocaleString('en')} /s`]];
    if (node.keyedCallsPerSecond) rows.push(['... with a `{ scope, audience }` key', `${Math.round(node.keyedCallsPerSecond).toLocaleString('en')} /s`]);
    rows.push([`token-endpoint calls, ${node.callers.toLocaleString('en')} concurrent callers, cold`, String(node.coldCallsPerKey)]);
    if (node.expiredCallsPerKey !== undefined) rows.push([`token-endpoint calls, ${node.callers.toLocaleString('en')} concurrent callers, after expiry`, String(node.expiredCallsPerKey)]);
    out.push(table(['what', 'measured'], rows));
    out.push(`\nSource: ${node.source}.`);
  }

  const memory = cases.memory?.subjects;
  if (memory) {
    out.push(`\n### 6. Heap after GC, before and after the requests (stub fetch, ${cases.memory.inFlight} in flight)\n`);
    out.push(table(['through', 'requests', 'heap before', 'heap after', 'growth'], Object.entries(memory).map(([name, m]) => [name, m.requests.toLocaleString('en'), `${(m.heapBeforeBytes / 1e6).toFixed(2)} MB`, `${(m.heapAfterBytes / 1e6).toFixed(2)} MB`, kB(m.growthBytes)])));
  }

  const server = cases.server;
  if (server) {
    out.push(`\n### 7. @tokenward/server through \`handle\` (built package, default options, rate limits on)\n`);
    const statuses = (run) => Object.entries(run.statuses).map(([status, count]) => `${count} × ${status}`).join(', ');
    out.push(table(['run', 'rotations', 'grace answers', 'revocations', 'rate-limited', 'answers', 'distinct refresh tokens handed out'], server.burst.runs.map((run, i) => [String(i + 1), String(run.rotations), String(run.graceAnswers), String(run.revocations), String(run.rateLimited), statuses(run), String(run.distinctRefreshTokens)])));
    const { refreshesPerSecond: refreshes, signaturesPerSecond: signatures, inFlight, perRound } = server.throughput;
    out.push(`\n${server.burst.calls} concurrent \`POST /auth/refresh\` presenting one family's token at once. Then distinct families, ${inFlight} in flight, ${perRound} per round, interleaved with rounds of jose \`SignJWT\` ES256 signatures at the same concurrency: ${Math.round(refreshes.median).toLocaleString('en')} refreshes/s against ${Math.round(signatures.median).toLocaleString('en')} signatures/s (medians), ratio ${ratio(server.throughput.ratio)}.${server.throughput.floorRatio ? ` The floor, interleaved in the same rounds, is what any Web-standard refresh costs before its own logic (read the Request's cookie, one raw ES256 signature through node:crypto, a Response with the same body and two cookies): ${Math.round(server.throughput.floorPerSecond.median).toLocaleString('en')}/s, ratio ${ratio(server.throughput.floorRatio)} of jose, the ceiling a refresh can reach on this runtime.` : ''}${server.throughput.byHandRatio ? ` The contract's refresh written by hand (bench/lib/contract-by-hand.mjs: CSRF, lookup by hash, rotation, the signature, the cookies; no rate limits, grace, reuse detection, events or coalescing), in the same rounds: ratio ${ratio(server.throughput.byHandRatio)}.` : ''}${server.throughput.leanRatio ? ` tokenward's refresh without the contract's hardening (\`rateLimit: false, graceMs: 0\`): ratio ${ratio(server.throughput.leanRatio)}.` : ''}`);
  }
  const fleet = cases.fleet;
  if (fleet?.cachedRatio) {
    out.push(`\n### 8. Fleet on Redis (@tokenward/redis), ${fleet.processes} worker processes\n`);
    out.push(table(['what', 'Redis token store', 'in-process cache alone'], [
      [`token-endpoint calls per key, ${fleet.processes} processes × ${fleet.callers} concurrent cold callers`, String(fleet.coldCallsPerKey.redis), String(fleet.coldCallsPerKey.memory)],
      ['cached `await getAccessToken()`, as a ratio of the in-process cache (median, min–max)', ratio(fleet.cachedRatio), `1 (A/A control, a second in-process source: ${ratio(fleet.controlRatio)})`],
    ]));
    out.push('\nA real redis-server on loopback; each worker a separate Node process with its own connection. A cached call never reaches Redis: the store is asked only when a process has no valid token of its own.');
  }

  const otel = cases.otel?.subjects;
  if (otel) {
    out.push('\n### 9. OpenTelemetry instrumentation (@tokenward/core/otel): cost per request, createAuthFetch over a stub fetch\n');
    out.push(table(['session', 'time per call, ratio of an uninstrumented session (median, min–max)', 'more per call', 'per call'], Object.entries(otel).map(([name, f]) => [name, ratio(f.ratio), ns(f.overheadNs.median), ns(f.candidateNs.median)])));
    out.push('\nA stub fetch returning a cached Response isolates what tokenward itself does per request; over a real network the same nanoseconds are a far smaller share. Off is the A/A control: an uninstrumented session runs the same code whether or not the instrumentation exists. On adds a token-age histogram record per request; spans and the other metrics come per refresh, not per request.');
  }

  for (const [name, message] of Object.entries(errors)) out.push(`\n**${name} failed:** ${message}`);
  return `${out.join('\n')}\n`;
}
