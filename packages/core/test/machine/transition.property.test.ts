import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RefreshFailedError } from '../../src/errors.js';
import type { MachineEvent } from '../../src/machine/events.js';
import { defaultPolicy } from '../../src/machine/policy.js';
import { initialState, tokenServedUntil, type MachineState } from '../../src/machine/state.js';
import { transition } from '../../src/machine/transition.js';
import { tokenSet } from '../helpers/tokens.js';

/** Commands a fuzzed world can issue; results name an attempt relative to the latest one (0 = current). */
const command = fc.oneof(
  fc.record({ type: fc.constant('request' as const), minValidityMs: fc.nat(120_000) }),
  fc.record({ type: fc.constant('refresh' as const) }),
  fc.record({ type: fc.constant('wait' as const), ms: fc.nat(200_000) }),
  fc.record({ type: fc.constant('succeed' as const), back: fc.nat(2), lifetime: fc.integer({ min: 1, max: 300_000 }) }),
  fc.record({ type: fc.constant('fail' as const), back: fc.nat(2), terminal: fc.boolean(), retryAfterMs: fc.option(fc.nat(60_000), { nil: undefined }) }),
  fc.record({ type: fc.constant('sign-in' as const), lifetime: fc.integer({ min: 1, max: 300_000 }) }),
  fc.record({ type: fc.constant('sign-out' as const) }),
  fc.record({ type: fc.constant('invalidate' as const), back: fc.nat(2) }),
  fc.record({ type: fc.constant('connectivity' as const), online: fc.boolean() }),
  fc.record({ type: fc.constant('peer' as const), kind: fc.constantFrom('tokens', 'signed-out', 'session-expired'), lifetime: fc.integer({ min: 1, max: 300_000 }) }),
);

type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

describe('transition (property)', () => {
  it('keeps its invariants over any sequence of events', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 80 }), fc.double({ min: 0, max: 0.999, noNaN: true }), (commands, rand) => {
        let state: MachineState = initialState();
        let now = 1_000_000;
        let waiting = 0;
        let ids = 0;
        let expiredSinceToken = 0;

        for (const cmd of commands) {
          if (cmd.type === 'wait') {
            now += cmd.ms;
            continue;
          }
          const event = toEvent(cmd, state, now, rand, () => ++ids);
          const before = state;
          const [next, effects] = transition(state, event, defaultPolicy);

          // Stale results change nothing.
          if ((event.type === 'refreshed' || event.type === 'failed') && (before.status !== 'refreshing' || event.attempt !== before.attempt)) {
            expect(next).toBe(before);
            expect(effects).toEqual([]);
          }
          for (const effect of effects) {
            // Never two refreshes in flight.
            if (effect.type === 'start-refresh') expect(before.status).not.toBe('refreshing');
            if (effect.type === 'reply' && effect.reply === 'wait') waiting++;
            if (effect.type === 'settle') waiting = 0;
            if (effect.type === 'emit' && (effect.event === 'signed-in' || effect.event === 'refreshed')) expiredSinceToken = 0;
            if (effect.type === 'emit' && effect.event === 'session-expired') expect(++expiredSinceToken).toBe(1);
          }
          state = next;
          // The session's shortcut is the machine's own answer: before tokenServedUntil, a request
          // gets the token and changes nothing (checked now and at the last instant it claims).
          for (const minValidityMs of [0, 30_000]) {
            const until = tokenServedUntil(state, minValidityMs);
            for (const at of [now, until - 1].filter((at) => at >= now && at < until)) {
              const [after, replies] = transition(state, { type: 'request', now: at, minValidityMs }, defaultPolicy);
              expect(after).toBe(state);
              expect(replies).toEqual([{ type: 'reply', reply: 'token' }]);
            }
          }
          // Every waiter settles as soon as no refresh is in flight.
          if (state.status !== 'refreshing') expect(waiting).toBe(0);
          checkShape(state);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

function toEvent(cmd: Exclude<Command, { type: 'wait' }>, state: MachineState, now: number, rand: number, nextId: () => number): MachineEvent {
  switch (cmd.type) {
    case 'request':
      return { type: 'request', now, minValidityMs: cmd.minValidityMs };
    case 'refresh':
    case 'sign-out':
      return { type: cmd.type, now };
    case 'succeed':
      return { type: 'refreshed', now, attempt: state.attempt - cmd.back, token: tokenSet(nextId(), now, cmd.lifetime), rand };
    case 'fail': {
      const error = new RefreshFailedError('failed', { status: cmd.terminal ? 401 : 503 });
      return { type: 'failed', now, attempt: state.attempt - cmd.back, error, kind: cmd.terminal ? 'terminal' : 'transient', retryAfterMs: cmd.retryAfterMs, rand };
    }
    case 'sign-in':
      return { type: 'sign-in', now, token: tokenSet(nextId(), now, cmd.lifetime), rand };
    case 'invalidate':
      return { type: 'invalidate', now, tokenId: (state.token?.id ?? 0) - cmd.back };
    case 'connectivity':
      return { type: 'connectivity', now, online: cmd.online };
    case 'peer': {
      const message =
        cmd.kind === 'tokens'
          ? { type: 'tokens' as const, token: tokenSet(nextId(), now, cmd.lifetime), signedIn: false }
          : cmd.kind === 'signed-out'
            ? { type: 'signed-out' as const }
            : { type: 'session-expired' as const, reason: 'invalid_grant' };
      return { type: 'peer', now, message, id: nextId(), cookieMode: false, rand };
    }
  }
}

function checkShape(state: MachineState): void {
  switch (state.status) {
    case 'active':
      expect(state.token).toBeDefined();
      expect(state.refreshAt).toBeLessThanOrEqual(state.token!.expiresAt);
      break;
    case 'backoff':
      expect(state.retryAt).toBeDefined();
      expect(state.error).toBeDefined();
      break;
    case 'anonymous':
    case 'expired':
      expect(state.token).toBeUndefined();
      break;
  }
}
