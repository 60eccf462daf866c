// The cross-tab protocol under a simulated browser (./simulation/simulated-browser.ts): 2 to 8 tabs of
// the pure session and coordinator machines, a channel that delays, reorders, duplicates and drops,
// tabs that freeze, close and open, hostile messages, a Web Locks lock manager and a strict server
// whose refreshes may hang (until the tab's timeout aborts them) or fail transiently.
// Deterministic: the seed is fixed in CI (test/setup/fast-check-seed.ts); `npm run fuzz` draws a new
// one, prints it, and runs many more.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIFETIME_MS, POLICY, TIMINGS, createSimulatedBrowser, type SimulatedBrowser, type Tab } from './simulation/simulated-browser.js';

const RUNS = Number(process.env.SIMULATION_RUNS ?? 1000);
const SPAN_MS = 60_000;

type Command = { at: number; kind: 'sign-in' | 'sign-out' | 'freeze' | 'close' | 'open' | 'hostile'; tab: number; forMs: number; message: Record<string, unknown> };

/** A message another tab's code (buggy, older, hostile) could post; times are relative to sending. */
const hostileMessage = fc.record({
  type: fc.constantFrom('hello', 'tokens', 'failed', 'signed-out', 'expired', 'claim', 'constructor'),
  gen: fc.oneof(fc.integer({ min: 0, max: 1_000 }), fc.constantFrom(Number.MAX_SAFE_INTEGER, -1, 1.5)),
  // A later lock round is what a tab that waited out a frozen holder says; a message that claims one
  // falsely can split the tabs across two locks once (README, cross-tab). Rounds are left to the
  // machine's unit tests here, so that exclusion is checked against everything else.
  round: fc.constantFrom(undefined, 0),
  ageMs: fc.integer({ min: -20_000, max: 20_000 }),
  from: fc.constantFrom('stranger', 'tab-0', 'tab-1'),
  lifetimeMs: fc.oneof(fc.integer({ min: 1, max: 3_600_000 }), fc.constantFrom(-1_000, 400 * 86_400_000)),
  obtainedAgoMs: fc.oneof(fc.integer({ min: -5_000, max: 10_000 }), fc.constant(-86_400_000)),
  signedIn: fc.boolean(),
  retryAfterMs: fc.option(fc.nat(60_000), { nil: undefined }),
  reason: fc.constantFrom('invalid_grant', 'a b', ''),
});

const command: fc.Arbitrary<Command> = fc.record({
  at: fc.integer({ min: 500, max: SPAN_MS }),
  kind: fc.constantFrom('sign-in', 'sign-out', 'freeze', 'close', 'open', 'hostile'),
  tab: fc.nat(7),
  forMs: fc.integer({ min: 100, max: 20_000 }),
  message: hostileMessage,
});

const scenario = fc.record({
  seed: fc.integer(),
  tabs: fc.integer({ min: 2, max: 8 }),
  faults: fc.record({
    // A working channel delivers within the hello window (150 ms), and so within the holder's handoff.
    maxDelayMs: fc.integer({ min: 1, max: 140 }),
    duplicate: fc.constantFrom(0, 0.1, 0.3),
    drop: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(0.05, 0.3) }),
    latencyMs: fc.integer({ min: 5, max: 400 }),
    // The server's own faults: a refresh that hangs until its tab gives up, a transient 503.
    hang: fc.constantFrom(0, 0, 0.2),
    fail: fc.constantFrom(0, 0.2),
  }),
  commands: fc.array(command, { maxLength: 12 }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function build(now: number, m: Record<string, unknown>): unknown {
  const obtainedAt = now - (m.obtainedAgoMs as number);
  const body: Record<string, unknown> = { v: 1, type: m.type, from: m.from, gen: m.gen, at: now - (m.ageMs as number) };
  if (m.round !== undefined) body.round = m.round;
  if (m.type === 'tokens') Object.assign(body, { token: { accessToken: 'hostile', tokenType: 'Bearer', obtainedAt, expiresAt: obtainedAt + (m.lifetimeMs as number) }, signedIn: m.signedIn });
  if (m.type === 'failed' && m.retryAfterMs !== undefined) body.retryAfterMs = m.retryAfterMs;
  if (m.type === 'expired') body.reason = m.reason;
  return body;
}

const live = (world: SimulatedBrowser) => world.tabs.filter((tab) => !tab.closed && !tab.frozen);
const open = (world: SimulatedBrowser) => world.tabs.filter((tab) => !tab.closed);

/** Runs one scenario and returns what went wrong, if anything. */
export function simulate({ seed, tabs, faults, commands }: Scenario): string[] {
  const world = createSimulatedBrowser(seed, faults);
  const problems = world.violations;
  const stamps: number[] = [];
  let freezes = 0;
  for (let i = 0; i < tabs; i++) world.at(world.T0 + i * 37, () => void world.open());
  for (const c of commands) {
    world.at(world.T0 + c.at, () => {
      const candidates = live(world);
      const tab = candidates[c.tab % Math.max(1, candidates.length)];
      if (c.kind === 'open' && world.tabs.length < 8) {
        // A new tab waits the hello window for a live token: a channel slower than half of it can
        // bring the answer too late, and the tab refreshes itself.
        if (2 * faults.maxDelayMs >= TIMINGS.helloMs) stamps.push(world.now + TIMINGS.helloMs);
        return void world.open();
      }
      if (c.kind === 'hostile') return world.inject(build(world.now, c.message));
      if (!tab) return;
      if (c.kind === 'sign-in' || c.kind === 'sign-out') {
        stamps.push(world.now);
        return c.kind === 'sign-in' ? world.signIn(tab) : world.signOut(tab);
      }
      // A holder closed mid-refresh takes its result along: the next refresh is needed, not a repeat.
      if (c.kind === 'close' && open(world).length > 1) {
        stamps.push(world.now);
        return world.close(tab);
      }
      if (c.kind === 'freeze') {
        freezes++;
        world.freeze(tab);
        world.at(world.now + c.forMs, () => world.thaw(tab));
      }
    });
  }
  // No tab waits forever: a refresh is settled within the session's timeout (plus the hello window).
  const bound = POLICY.timeoutMs + TIMINGS.helloMs + 100;
  for (let t = 0; t <= SPAN_MS + 40_000; t += 250) {
    world.at(world.T0 + t, () => {
      for (const tab of open(world)) {
        const c = tab.coordinator;
        // Frozen time does not count: a thawed tab first works through what it missed.
        const since = Math.max('job' in c ? c.job.at : Infinity, tab.thawedAt);
        if (!tab.frozen && 'job' in c && world.now - since > bound) problems.push(`tab ${tab.index} waited ${world.now - since} ms in ${c.phase}`);
        if (JSON.stringify(c).length > 2_000) problems.push(`tab ${tab.index} state grew to ${JSON.stringify(c).length} bytes`);
        // A message may be stamped up to 1 s ahead, and its epoch count 1 s past its stamp.
        if (c.epoch > world.now + 2_000) problems.push(`tab ${tab.index} epoch ${c.epoch - world.now} ms ahead`);
        if (c.round > freezes + commands.length + world.server.hangs) problems.push(`tab ${tab.index} at lock round ${c.round} after ${freezes} freezes`);
      }
    });
  }
  world.runUntil(world.T0 + SPAN_MS);
  for (const tab of world.tabs) if (tab.frozen && !tab.closed) world.thaw(tab);
  world.runUntil(world.T0 + SPAN_MS + 2_000);

  // One refresh per expiry while the channel works and no tab froze: rotations far apart, but around sign-ins, sign-outs and closes.
  // (A spoofed epoch can cost one redundant refresh before the tabs agree again: not checked with hostile messages.)
  if (faults.drop === 0 && freezes === 0 && !commands.some((c) => c.kind === 'hostile')) {
    const rotations = world.server.rotations;
    for (let i = 1; i < rotations.length; i++) {
      const [a, b] = [rotations[i - 1]!, rotations[i]!];
      if (b - a < LIFETIME_MS / 2 - faults.latencyMs * 2 && !stamps.some((s) => s >= a - 2_000 && s <= b)) problems.push(`two refreshes ${b - a} ms apart at ${a - world.T0} ms`);
    }
  }
  // Every tab converges to the latest sign-in, then to the latest sign-out (while the channel works).
  const signer = live(world)[0]!;
  world.signIn(signer);
  world.runUntil(world.now + 3_000);
  if (faults.drop === 0) {
    const statuses = open(world).map((tab: Tab) => tab.session.status);
    if (!statuses.every((s) => s === 'active' || s === 'refreshing')) problems.push(`after a sign-in: ${statuses.join(', ')}`);
  }
  world.signOut(live(world)[0]!);
  world.runUntil(world.now + 3_000);
  if (faults.drop === 0) {
    const statuses = open(world).map((tab: Tab) => tab.session.status);
    if (!statuses.every((s) => s === 'anonymous')) problems.push(`after a sign-out: ${statuses.join(', ')}`);
  }
  problems.push(...world.server.reuse);
  // After a frozen holder, the tabs that waited it out move to the next lock round and tell the others
  // in every message; a channel that loses messages can leave a tab on the old round, or hide from a
  // waiter that a hung holder's successors are alive. Exclusion is then only as good as the channel
  // (README, cross-tab): checked everywhere else.
  if (faults.drop > 0 && (freezes > 0 || world.server.hangs > 0)) return problems.filter((p) => !/in flight|presented/.test(p));
  return problems;
}

describe('cross-tab protocol, simulated', () => {
  it('never runs two refreshes at once, refreshes once per expiry, converges, never hangs, stays bounded', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        expect(simulate(s)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });
});
