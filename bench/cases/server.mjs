// 7. @tokenward/server: (a) 500 concurrent refreshes of one family through `handle` give exactly one
// rotation and no revocation; (b) refreshes per second for distinct families, as a ratio of jose's
// ES256 signing rate measured in the same run, in interleaved rounds at the same concurrency (target
// >= 0.8, taking the signature as a refresh's physical limit). Built package, default
// options (rate limits on), each family its own client address as distinct users would be. A third
// measurement, the floor, is what any Web-standard refresh costs before its own logic: read the
// Request's cookies, one raw ES256 signature through node:crypto, a Response with the same body and
// two cookies (bench/lib/contract-by-hand.mjs). Its ratio to jose is the ceiling a real refresh can
// reach on this runtime. Between the floor and tokenward: the contract's refresh written by hand
// (bench/lib/contract-by-hand.mjs), and tokenward's refresh without the contract's hardening (no
// rate limits, no grace). The floor and the contract by hand sign asynchronously, their faster way
// (docs/architecture.md, "The server's refresh"). Rounds are long enough to include the garbage
// collection each kind of request causes in steady state.
import { generateKeyPair, SignJWT } from 'jose';
import { contractByHand, floorHandler } from '../lib/contract-by-hand.mjs';
import { compare, interleave, summarize } from '../lib/stats.mjs';

const BURST = 500;
const IN_FLIGHT = 64;
const ISSUER = 'https://bench.example';
const AUDIENCE = 'https://bench.example/api';

async function server(events, options = {}) {
  const { createAuthHandler } = await import('../../packages/server/dist/index.js');
  return createAuthHandler({
    issuer: ISSUER,
    audience: AUDIENCE,
    authenticate: async (request) => ({ sub: String((await request.json()).user), claims: { roles: ['user'] } }),
    onEvent: (event) => events.push(event.type),
    logger: { warn: () => undefined, error: (...args) => console.error(...args) },
    ...options,
  });
}

const cookieOf = (response, name) => response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`))?.split(';')[0].slice(name.length + 1);

async function login(auth, user) {
  const response = await auth.handle(
    new Request('https://bench.example/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) }),
    { clientAddress: `10.0.${user >> 8 & 255}.${user & 255}` },
  );
  return { refresh: cookieOf(response, '__Secure-tw_refresh'), csrf: cookieOf(response, '__Host-tw_csrf'), address: `10.0.${user >> 8 & 255}.${user & 255}` };
}

const refreshRequest = (session) =>
  new Request('https://bench.example/auth/refresh', {
    method: 'POST',
    headers: { cookie: `__Secure-tw_refresh=${session.refresh}; __Host-tw_csrf=${session.csrf}`, 'x-tokenward-csrf': session.csrf },
  });

function refresh(auth, session) {
  return auth.handle(refreshRequest(session), { clientAddress: session.address });
}

/** Runs `task(i)` for i in [0, count) with `inFlight` at a time; resolves the rate per second. */
async function rate(count, inFlight, task) {
  let next = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) await task(next++);
  }));
  return (count * 1000) / (performance.now() - start);
}

async function burst(runs) {
  const results = [];
  for (let run = 0; run < runs; run++) {
    const events = [];
    const auth = await server(events);
    const session = await login(auth, 1);
    const answers = await Promise.all(Array.from({ length: BURST }, () => refresh(auth, session)));
    const statuses = {};
    for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    const refreshTokens = new Set(answers.map((answer) => cookieOf(answer, '__Secure-tw_refresh')));
    const count = (type) => events.filter((seen) => seen === type).length;
    results.push({ rotations: count('refresh'), graceAnswers: count('grace'), revocations: count('reuse'), rateLimited: count('rate_limited'), statuses, distinctRefreshTokens: refreshTokens.size });
    await auth.close();
  }
  return results;
}

export async function run({ smoke, log }) {
  const runs = smoke ? 1 : 5;
  const bursts = await burst(runs);
  const worst = bursts.reduce((a, b) => (b.rotations !== 1 || b.revocations > 0 ? b : a));
  log(`  ${BURST} concurrent refreshes of one family (${runs} runs): rotations ${bursts.map((b) => b.rotations).join(', ')}; revocations ${bursts.map((b) => b.revocations).join(', ')}; statuses ${JSON.stringify(worst.statuses)}`);

  const perRound = smoke ? 200 : 5000;
  const rounds = smoke ? 2 : 8;
  const auth = await server([]);
  const lean = await server([], { rateLimit: false, graceMs: 0 });
  const sessions = [];
  const leanSessions = [];
  for (let user = 0; user < perRound * rounds; user++) {
    sessions.push(await login(auth, user));
    leanSessions.push(await login(lean, user));
  }
  const { privateKey } = await generateKeyPair('ES256');
  const floor = floorHandler(privateKey);
  const byHand = contractByHand(privateKey, { issuer: ISSUER, audience: AUDIENCE });
  const byHandSessions = sessions.map((_, user) => byHand.login(String(user)));
  let used = 0;
  const pairs = await interleave({
    rounds: rounds * 2,
    async measure(which) {
      if (which === 'baseline') {
        const perSecond = await rate(perRound, IN_FLIGHT, () =>
          new SignJWT({ roles: ['user'] }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'k' }).setIssuer(ISSUER).setAudience(AUDIENCE).setSubject('u').setIssuedAt().setExpirationTime('5m').setJti(crypto.randomUUID()).sign(privateKey),
        );
        const floorPerSecond = await rate(perRound, IN_FLIGHT, async (i) => {
          const response = await floor.handle(refreshRequest(sessions[i]));
          cookieOf(response, '__Secure-tw_refresh');
        });
        return { perSecond, floorPerSecond };
      }
      // Each family refreshes once per round: distinct families, as many users would.
      const slice = (pool) => pool.slice((used % rounds) * perRound, (used % rounds + 1) * perRound);
      const refreshAll = (handler, batch) =>
        rate(perRound, IN_FLIGHT, async (i) => {
          const response = await refresh(handler, batch[i]);
          if (response.status !== 200) throw new Error(`refresh answered ${response.status}`);
          batch[i].refresh = cookieOf(response, '__Secure-tw_refresh');
        });
      const perSecond = await refreshAll(auth, slice(sessions));
      const leanPerSecond = await refreshAll(lean, slice(leanSessions));
      const byHandPerSecond = await refreshAll(byHand, slice(byHandSessions));
      used++;
      return { perSecond, leanPerSecond, byHandPerSecond };
    },
  });
  await auth.close();
  await lean.close();
  const { paired, baseline, candidate } = compare(pairs, 'perSecond');
  const leanRatio = summarize(pairs.map(({ baseline: signing, candidate: round }) => round.leanPerSecond / signing.perSecond));
  const byHandRatio = summarize(pairs.map(({ baseline: signing, candidate: round }) => round.byHandPerSecond / signing.perSecond));
  const floorRatio = summarize(pairs.map(({ baseline: round }) => round.floorPerSecond / round.perSecond));
  const floorPerSecond = summarize(pairs.map(({ baseline: round }) => round.floorPerSecond));
  log(`  refreshes/s for distinct families ${Math.round(candidate.median)}, jose ES256 signatures/s ${Math.round(baseline.median)}: ratio ${paired.median.toFixed(3)} (${paired.min.toFixed(3)}–${paired.max.toFixed(3)}); the floor ${Math.round(floorPerSecond.median)}/s, ratio ${floorRatio.median.toFixed(3)}; the contract by hand ${byHandRatio.median.toFixed(3)}; tokenward without rate limits and grace ${leanRatio.median.toFixed(3)}`);
  return { burst: { calls: BURST, runs: bursts }, throughput: { inFlight: IN_FLIGHT, perRound, ratio: paired, refreshesPerSecond: candidate, signaturesPerSecond: baseline, floorRatio, floorPerSecond, byHandRatio, leanRatio } };
}
