// 5. Node: `getAccessToken()` calls per second on a cached token, and token-endpoint calls under
// 10,000 concurrent callers. The figures come from @tokenward/node's own benchmark module
// (packages/node/bench/*.mjs, run against the built package); until that exists and is built, a
// stand-in measures the core session underneath it with a counting refresher as the token endpoint.
import { existsSync, readdirSync } from 'node:fs';
import { createSession } from '@tokenward/core';

const NODE_PACKAGE = new URL('../../packages/node/', import.meta.url);
const CALLERS = 10_000;

async function fromNodePackage({ smoke, log }) {
  if (!existsSync(new URL('dist/index.js', NODE_PACKAGE))) return { status: 'not built yet', reason: 'packages/node/dist/index.js does not exist' };
  const dir = new URL('bench/', NODE_PACKAGE);
  const files = existsSync(dir) ? readdirSync(dir).filter((file) => /\.m?js$/.test(file)).sort() : [];
  if (files.length === 0) return { status: 'not built yet', reason: 'packages/node/bench/ has no benchmark module' };
  const module = await import(new URL(files[0], dir).href);
  const bench = Object.entries(module).find(([name, value]) => typeof value === 'function' && /^(bench|run|default)/i.test(name))?.[1];
  if (!bench) return { status: 'not built yet', reason: `packages/node/bench/${files[0]} exports no bench function` };
  const figures = await bench({ smoke, log: (line) => log(`  ${line}`) });
  for (const key of ['cachedCallsPerSecond', 'coldCallsPerKey', 'callers']) {
    if (!Number.isFinite(figures?.[key])) return { status: 'error', reason: `packages/node/bench/${files[0]} returned no \`${key}\`` };
  }
  return { status: 'ok', source: `packages/node/bench/${files[0]} (@tokenward/node createClientCredentials over loopback)`, ...figures };
}

/** The stand-in: a core session whose refresher counts its calls (the token endpoint's calls). */
export async function standIn({ smoke, log }) {
  let calls = 0;
  const session = createSession({
    async refresh() {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { accessToken: `token-${calls}`, expiresIn: 3600 };
    },
  });
  try {
    const tokens = await Promise.all(Array.from({ length: CALLERS }, () => session.getAccessToken()));
    if (new Set(tokens).size !== 1) throw new Error('concurrent callers got different tokens');
    const coldCalls = calls;
    log(`  token-endpoint calls, ${CALLERS} concurrent callers on a cold session: ${coldCalls}`);
    const iterations = smoke ? 20_000 : 1_000_000;
    let best = 0;
    for (let round = 0; round < (smoke ? 1 : 5); round++) {
      const start = performance.now();
      for (let i = 0; i < iterations; i++) await session.getAccessToken();
      best = Math.max(best, (iterations * 1000) / (performance.now() - start));
    }
    log(`  await getAccessToken() on a cached token: ${Math.round(best).toLocaleString('en')}/s`);
    return { status: 'ok', source: 'stand-in: core createSession with a counting refresher', cachedCallsPerSecond: best, coldCallsPerKey: coldCalls, callers: CALLERS };
  } finally {
    session.dispose();
  }
}

export async function run({ smoke, log }) {
  let result;
  try {
    result = await fromNodePackage({ smoke, log });
  } catch (error) {
    result = { status: 'error', reason: `the @tokenward/node benchmark failed: ${error?.message ?? error}` };
  }
  if (result.status === 'ok') return result;
  log(`  @tokenward/node: ${result.status} (${result.reason}); measuring the stand-in`);
  return { ...(await standIn({ smoke, log })), nodePackage: result };
}
