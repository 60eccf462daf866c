// npm run soak: the long soaks, with their figures.
//   1. Node: 200,000 requests through createAuthFetch, 64 in flight, 2 s tokens, a faulty refresh
//      endpoint (test/reliability/soak/node-soak.ts, in a child process with --expose-gc).
//   2. Chromium: 4 tabs for 2 minutes, strict reuse detection, faults, outages and recoveries
//      (test/reliability/soak/browser-soak.ts).
// Options: --requests N, --rate R (requests/s), --duration MS (Chromium), --node-only, --browser-only.
// Exits 1 if any check failed. `npm test` runs short versions (test/reliability/soak*.test.ts).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '200000' },
    rate: { type: 'string', default: '2000' },
    duration: { type: 'string', default: '120000' },
    'node-only': { type: 'boolean', default: false },
    'browser-only': { type: 'boolean', default: false },
  },
});

/** Runs a soak script and returns the JSON after `marker` on its stdout; stderr streams through. */
function run(args, marker) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith(`${marker} `));
      if (line) resolve(JSON.parse(line.slice(marker.length + 1)));
      else reject(new Error(`${args.join(' ')} exited ${code} without a result:\n${out}`));
    });
  });
}

const kb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const sum = (map) => Object.values(map).reduce((a, b) => a + b, 0);
const show = (map) => Object.entries(map).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
let failed = false;

function verdict(result) {
  for (const check of result.checks) console.log(`  ${result.failed.includes(check) ? 'FAIL' : 'ok  '} ${check}`);
  failed ||= result.failed.length > 0;
}

if (!values['browser-only']) {
  console.log(`Node soak: ${values.requests} requests, 64 in flight, ${values.rate}/s, 2 s access tokens, faulty refresh endpoint...`);
  const r = await run(['--expose-gc', '--import', 'tsx', 'test/reliability/soak/node-soak.ts', '--requests', values.requests, '--rate', values.rate], 'SOAK_RESULT');
  const o = r.outcomes;
  console.log(`  duration            ${(r.durationMs / 1000).toFixed(1)} s`);
  console.log(`  requests settled    ${o.settled} of ${r.requests}: ${o.ok} ok, ${sum(o.responses)} API error responses (${show(o.responses)}), ${sum(o.typed)} typed errors (${show(o.typed)}), ${o.untyped} untyped, ${o.hung} hung`);
  console.log(`  refresh calls       ${r.refresh.serverRequests} (bound ${r.refresh.bound} = ${r.refresh.expected} expected [one per half lifetime + one per sign-in] + ${r.refresh.failures} retries); ${r.refresh.successes} succeeded, ${r.refresh.failures} failed transiently, ${r.refresh.terminal} terminal`);
  console.log(`  faults              ${show(r.refresh.byKind)}`);
  console.log(`  shortest gaps       ${show(Object.fromEntries(Object.entries(r.refresh.minGapMs).map(([k, v]) => [k, `${v} ms`])))}`);
  console.log(`  session-expired     ${r.events.sessionExpiredDuringSoak} for ${r.events.terminalAnswers} terminal answers; reuse detections ${r.server.reuseDetections}`);
  console.log(`  API                 ${r.server.apiCalls} calls, ${r.server.api401} answered 401 (expired by the server's clock)`);
  console.log(`  escaped             ${r.escaped.unhandledRejections} unhandled rejections, ${r.escaped.uncaughtExceptions} uncaught exceptions`);
  console.log(`  heap after GC       ${kb(r.heap.startBytes)} -> ${kb(r.heap.endBytes)} (delta ${kb(r.heap.deltaBytes)})`);
  console.log(`  recovered           ${r.recovered}`);
  verdict(r);
}

if (!values['node-only']) {
  console.log(`\nChromium soak: 4 tabs for ${Number(values.duration) / 1000} s, strict reuse detection, faults, outages, recoveries...`);
  const r = await run(['--import', 'tsx', 'test/reliability/soak/browser-soak.ts', '--duration', values.duration], 'BROWSER_SOAK_RESULT');
  console.log(`  duration            ${(r.durationMs / 1000).toFixed(1)} s, ${r.apiCalls} API calls`);
  r.perTab.forEach((t, i) => console.log(`  tab ${i + 1}               ${t.outcomes.ok} ok, responses: ${show(t.outcomes.statuses)}, typed errors: ${show(t.outcomes.codes)}, events: ${show(t.events)}`));
  console.log(`  refresh requests    ${r.refresh.requests} (bound ${r.refresh.bound}); ${r.refresh.successes} succeeded, ${r.refresh.failures} failed; shortest gap after a success ${r.refresh.minGapAfterSuccessMs} ms`);
  console.log(`  faults              ${show(r.refresh.byKind)}`);
  console.log(`  reuse detections    ${r.reuseDetections}`);
  console.log(`  recoveries          ${r.recoveries.map((x) => `after ${x.after}: ${x.allTabs ? `${x.ms} ms` : 'NOT'}`).join(', ')} (deadline ${r.recoveryDeadlineMs} ms)`);
  verdict(r);
}

process.exit(failed ? 1 : 0);
