// 6. Memory: the heap after 200,000 requests through the wrapper (a stub fetch answering each with a
// new Response, 64 in flight), after garbage collection, against the heap before.
import { tokenward } from '../lib/clients.mjs';

const ORIGIN = 'http://127.0.0.1:9';
const URL_ = `${ORIGIN}/api`;
const IN_FLIGHT = 64;

async function settledHeap() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage().heapUsed;
}

async function drive(call, requests) {
  for (let sent = 0; sent < requests; sent += IN_FLIGHT) {
    await Promise.all(Array.from({ length: IN_FLIGHT }, call));
  }
}

export async function run({ smoke, log }) {
  if (typeof globalThis.gc !== 'function') throw new Error('run node with --expose-gc (bench/run.mjs re-spawns itself with it)');
  const requests = smoke ? 20_000 : 200_000;
  const stub = () => Promise.resolve(new Response(null, { status: 200 }));
  const results = {};
  const subjects = {
    // The control: the same load with no wrapper, to show what the measurement itself moves.
    'direct stub call': { call: () => stub(URL_), dispose() {} },
    'tokenward createAuthFetch': (() => {
      const client = tokenward({ origin: ORIGIN, tokenUrl: `${ORIGIN}/token`, store: { access: 'valid', refresh: 'rt-0' }, fetch: stub });
      return { call: () => client.fetch(URL_), dispose: client.dispose };
    })(),
  };
  for (const [name, subject] of Object.entries(subjects)) {
    await drive(subject.call, 10_000); // warm: JIT, lazy initialisation
    const before = await settledHeap();
    const start = performance.now();
    await drive(subject.call, requests);
    const seconds = (performance.now() - start) / 1000;
    const after = await settledHeap();
    subject.dispose();
    results[name] = { requests, heapBeforeBytes: before, heapAfterBytes: after, growthBytes: after - before, seconds };
    log(`  ${name.padEnd(28)} ${requests.toLocaleString('en')} requests in ${seconds.toFixed(1)} s: heap ${(before / 1e6).toFixed(2)} MB -> ${(after / 1e6).toFixed(2)} MB (${((after - before) / 1e3).toFixed(1)} kB)`);
  }
  return { inFlight: IN_FLIGHT, subjects: results };
}
