// 2. In-process cost of deciding and attaching the token: each wrapper around a stub fetch that
// returns a cached Response, against a direct call of the stub, in alternating rounds.
import { oauth2Fetch, tokenward } from '../lib/clients.mjs';
import { compare, interleave, nsPerCall } from '../lib/stats.mjs';

const ORIGIN = 'http://127.0.0.1:9';
const URL_ = `${ORIGIN}/api`;
const INIT = { headers: { accept: 'application/json' } };

export async function run({ smoke, log }) {
  const rounds = smoke ? 2 : 9;
  const budget = smoke ? { minMs: 0, maxCalls: 1000 } : { minMs: 150, maxCalls: Infinity };
  const cached = new Response('{"ok":true}');
  const stub = () => Promise.resolve(cached);
  const store = { access: 'valid', refresh: 'rt-0' };
  const tw = tokenward({ origin: ORIGIN, tokenUrl: `${ORIGIN}/token`, store, fetch: stub });
  const badgateway = oauth2Fetch({ origin: ORIGIN, tokenUrl: `${ORIGIN}/token`, store });
  await badgateway.wrapper.getAccessToken(); // its stored token is loaded asynchronously

  // OAuth2Fetch always calls the global fetch: point it at the stub for this case only.
  const realFetch = globalThis.fetch;
  const cases = {
    'tokenward createAuthFetch(url)': { direct: () => stub(URL_), wrapped: () => tw.fetch(URL_) },
    'tokenward createAuthFetch(url, init)': { direct: () => stub(URL_, INIT), wrapped: () => tw.fetch(URL_, INIT) },
    'OAuth2Fetch.fetch(url)': { direct: () => stub(URL_), wrapped: () => badgateway.wrapper.fetch(URL_), globalStub: true },
  };
  const results = {};
  try {
    for (const [name, { direct, wrapped, globalStub }] of Object.entries(cases)) {
      globalThis.fetch = globalStub ? stub : realFetch;
      await nsPerCall(direct, { minMs: 0, maxCalls: 20_000 });
      await nsPerCall(wrapped, { minMs: 0, maxCalls: 20_000 });
      const pairs = await interleave({ rounds, measure: async (which) => ({ ns: await nsPerCall(which === 'baseline' ? direct : wrapped, budget) }) });
      const { paired: overheadNs, baseline: directNs, candidate: wrappedNs } = compare(pairs, 'ns', (wrappedNs, directNs) => wrappedNs - directNs);
      results[name] = { directNs, wrappedNs, overheadNs };
      log(`  ${name.padEnd(38)} ${Math.round(overheadNs.median)} ns a call over a direct call (${Math.round(wrappedNs.median)} vs ${Math.round(directNs.median)} ns)`);
    }
  } finally {
    globalThis.fetch = realFetch;
    tw.dispose();
  }
  return { rounds, cases: results };
}
