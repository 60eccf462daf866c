import { describe, expect, it } from 'vitest';
import { NotSignedInError, RefreshFailedError, SessionExpiredError } from '../../src/errors.js';
import type { Effect } from '../../src/machine/effects.js';
import type { MachineEvent } from '../../src/machine/events.js';
import { defaultPolicy, refreshAtFor } from '../../src/machine/policy.js';
import { initialState, type MachineState } from '../../src/machine/state.js';
import { transition } from '../../src/machine/transition.js';
import { tokenSet } from '../helpers/tokens.js';

const policy = { ...defaultPolicy, leadMs: 10_000, jitterFraction: 0 };
const T0 = 1_000_000;
const token = tokenSet(1, T0, 60_000);
const active: MachineState = { ...initialState(), status: 'active', token, refreshAt: refreshAtFor(token, policy, 0), fallback: 'unknown' };
const refreshing: MachineState = { ...active, status: 'refreshing', attempt: 1, reason: 'scheduled' };
const transientError = new RefreshFailedError('down', { status: 503 });
const terminalError = new RefreshFailedError('no', { status: 401, oauthError: 'invalid_grant' });

const types = (effects: readonly Effect[]) => effects.map((e) => (e.type === 'emit' ? `emit:${e.event}` : e.type));
const step = (state: MachineState, event: MachineEvent) => transition(state, event, policy);

describe('transition', () => {
  // (state, event) -> (status, effect types)
  const table: Array<[string, MachineState, MachineEvent, string, string[]]> = [
    ['unknown + request starts a boot refresh and waits', initialState(), { type: 'request', now: T0, minValidityMs: 0 }, 'refreshing', ['emit:status', 'start-refresh', 'reply']],
    ['active + request with a fresh token answers at once', active, { type: 'request', now: T0 + 1000, minValidityMs: 0 }, 'active', ['reply']],
    ['active + request past refreshAt refreshes in the background and answers with the token', active, { type: 'request', now: T0 + 50_001, minValidityMs: 0 }, 'refreshing', ['emit:status', 'start-refresh', 'reply', 'schedule']],
    ['active + request past expiry refreshes and waits', active, { type: 'request', now: T0 + 60_000, minValidityMs: 0 }, 'refreshing', ['emit:status', 'start-refresh', 'reply', 'schedule']],
    ['active + request wanting more validity than left refreshes and waits', active, { type: 'request', now: T0, minValidityMs: 60_000 }, 'refreshing', ['emit:status', 'start-refresh', 'reply', 'schedule']],
    ['active + tick before refreshAt re-arms the timer', active, { type: 'tick', now: T0 + 1 }, 'active', ['schedule']],
    ['active + tick at refreshAt refreshes', active, { type: 'tick', now: T0 + 50_000 }, 'refreshing', ['emit:status', 'start-refresh', 'schedule']],
    ['refreshing + request with a valid token answers at once', refreshing, { type: 'request', now: T0 + 1, minValidityMs: 0 }, 'refreshing', ['reply']],
    ['refreshing + request without a valid token waits and starts nothing', refreshing, { type: 'request', now: T0 + 60_000, minValidityMs: 0 }, 'refreshing', ['reply']],
    ['refreshing without a token + tick (a page woke up during boot) leaves the refresh running', { ...refreshing, token: undefined }, { type: 'tick', now: T0 }, 'refreshing', ['schedule']],
    ['refreshing + sign-in aborts the stale refresh', refreshing, { type: 'sign-in', now: T0, token: tokenSet(5, T0, 60_000), rand: 0 }, 'active', ['abort-refresh', 'emit:status', 'settle', 'emit:signed-in', 'announce', 'schedule']],
    ['refreshing + refresh joins the one in flight', refreshing, { type: 'refresh', now: T0 }, 'refreshing', ['reply']],
    ['refreshing + result of the attempt in flight adopts the token', refreshing, { type: 'refreshed', now: T0, attempt: 1, token: tokenSet(2, T0, 60_000), rand: 0 }, 'active', ['emit:status', 'settle', 'emit:refreshed', 'schedule']],
    ['refreshing + result of a superseded attempt changes nothing', refreshing, { type: 'refreshed', now: T0, attempt: 0, token: tokenSet(2, T0, 60_000), rand: 0 }, 'refreshing', []],
    ['refreshing + transient failure backs off keeping the token', refreshing, { type: 'failed', now: T0, attempt: 1, error: transientError, kind: 'transient', retryAfterMs: undefined, rand: 0.5 }, 'backoff', ['emit:status', 'settle', 'emit:refresh-failed', 'schedule']],
    ['refreshing + terminal failure with a session expires it', refreshing, { type: 'failed', now: T0, attempt: 1, error: terminalError, kind: 'terminal', retryAfterMs: undefined, rand: 0 }, 'expired', ['abort-refresh', 'emit:status', 'emit:refresh-failed', 'settle', 'emit:session-expired', 'announce']],
    ['refreshing + sign-out aborts the refresh and signs out', refreshing, { type: 'sign-out', now: T0 }, 'anonymous', ['abort-refresh', 'emit:status', 'settle', 'emit:signed-out', 'announce']],
    ['anonymous + request fails with NOT_SIGNED_IN', { ...initialState(), status: 'anonymous', fallback: 'anonymous' }, { type: 'request', now: T0, minValidityMs: 0 }, 'anonymous', ['reply']],
    ['anonymous + sign-out changes nothing', { ...initialState(), status: 'anonymous', fallback: 'anonymous' }, { type: 'sign-out', now: T0 }, 'anonymous', []],
    ['expired + refresh tries again', { ...initialState(), status: 'expired', fallback: 'expired' }, { type: 'refresh', now: T0 }, 'refreshing', ['emit:status', 'start-refresh', 'reply']],
    ['active + peer tokens that are newer are adopted', active, { type: 'peer', now: T0, message: { type: 'tokens', token: tokenSet(9, T0, 120_000), signedIn: false }, id: 9, cookieMode: false, rand: 0 }, 'active', ['settle', 'emit:refreshed', 'schedule']],
    ['active + peer tokens that are older are ignored', active, { type: 'peer', now: T0, message: { type: 'tokens', token: tokenSet(9, T0 - 30_000, 60_000), signedIn: false }, id: 9, cookieMode: false, rand: 0 }, 'active', []],
    ['active + peer sign-out signs out without announcing', active, { type: 'peer', now: T0, message: { type: 'signed-out' }, id: 9, cookieMode: false, rand: 0 }, 'anonymous', ['emit:status', 'settle', 'emit:signed-out', 'schedule']],
    ['active + peer session-expired expires without announcing', active, { type: 'peer', now: T0, message: { type: 'session-expired', reason: 'invalid_grant' }, id: 9, cookieMode: false, rand: 0 }, 'expired', ['emit:status', 'settle', 'emit:session-expired', 'schedule']],
    ['expired + peer session-expired changes nothing', { ...initialState(), status: 'expired', fallback: 'expired' }, { type: 'peer', now: T0, message: { type: 'session-expired', reason: 'x' }, id: 9, cookieMode: false, rand: 0 }, 'expired', []],
    ['active + going offline disarms the timer', active, { type: 'connectivity', now: T0, online: false }, 'active', ['schedule']],
  ];

  it.each(table)('%s', (_name, state, event, status, effects) => {
    const [next, out] = step(state, event);
    expect(next.status).toBe(status);
    expect(types(out)).toEqual(effects);
  });

  it('answers a superseded failure with no change', () => {
    const [next, out] = step(refreshing, { type: 'failed', now: T0, attempt: 7, error: terminalError, kind: 'terminal', retryAfterMs: undefined, rand: 0 });
    expect(next).toBe(refreshing);
    expect(out).toEqual([]);
  });

  it('rejects waiters with ERR_SESSION_EXPIRED and emits session-expired with the reason on a terminal failure', () => {
    const [, out] = step(refreshing, { type: 'failed', now: T0, attempt: 1, error: terminalError, kind: 'terminal', retryAfterMs: undefined, rand: 0 });
    const settle = out.find((e) => e.type === 'settle');
    expect(settle?.type === 'settle' && settle.error).toBeInstanceOf(SessionExpiredError);
    expect(out).toContainEqual({ type: 'emit', event: 'session-expired', payload: { reason: 'invalid_grant', error: terminalError, origin: 'local' } });
  });

  it('goes anonymous, not expired, when a boot refresh is refused', () => {
    const [booting] = step(initialState(), { type: 'request', now: T0, minValidityMs: 0 });
    const [next, out] = step(booting, { type: 'failed', now: T0, attempt: 1, error: terminalError, kind: 'terminal', retryAfterMs: undefined, rand: 0 });
    expect(next.status).toBe('anonymous');
    expect(types(out)).not.toContain('emit:session-expired');
    // The waiters learn what every later call will: not signed in (the refusal as its cause).
    expect(out).toContainEqual({ type: 'settle', error: expect.objectContaining({ code: 'ERR_NOT_SIGNED_IN', cause: terminalError }) });
  });

  it('honours Retry-After when backing off', () => {
    const [next] = step(refreshing, { type: 'failed', now: T0, attempt: 1, error: transientError, kind: 'transient', retryAfterMs: 30_000, rand: 0 });
    expect(next.retryAt).toBe(T0 + 30_000);
  });

  it('draws the backoff with full jitter below a doubling ceiling', () => {
    const delays = [0.25, 0.5, 1].map((rand) => step({ ...refreshing, failures: 2 }, { type: 'failed', now: T0, attempt: 1, error: transientError, kind: 'transient', retryAfterMs: undefined, rand })[0].retryAt! - T0);
    expect(delays).toEqual([1000, 2000, 4000]);
  });

  it('ends backoff and retries at once when the device comes back online', () => {
    const offline: MachineState = { ...active, status: 'backoff', retryAt: T0 + 60_000, error: transientError, failures: 3, online: false };
    const [next, effects] = step(offline, { type: 'connectivity', now: T0 + 1000, online: true });
    expect(next).toMatchObject({ status: 'refreshing', online: true, reason: 'retry' });
    expect(types(effects)).toContain('start-refresh');
    // Already online, an online signal does not skip the server's backoff.
    expect(step({ ...offline, online: true }, { type: 'connectivity', now: T0 + 1000, online: true })[0].status).toBe('backoff');
  });

  it('fails callers fast in backoff without a valid token, and starts no refresh before retryAt', () => {
    const backoff: MachineState = { ...active, status: 'backoff', token: undefined, retryAt: T0 + 5000, error: transientError, failures: 1 };
    expect(step(backoff, { type: 'request', now: T0, minValidityMs: 0 })[1]).toEqual([{ type: 'reply', reply: transientError }]);
    expect(step(backoff, { type: 'request', now: T0 + 5000, minValidityMs: 0 })[0].status).toBe('refreshing');
  });

  it('keeps serving the token during backoff while it is valid', () => {
    const backoff: MachineState = { ...active, status: 'backoff', retryAt: T0 + 5000, error: transientError, failures: 1 };
    expect(step(backoff, { type: 'request', now: T0 + 100, minValidityMs: 0 })).toEqual([backoff, [{ type: 'reply', reply: 'token' }]]);
  });

  it('forces a refresh on a 401 only for the current token, once', () => {
    const [next, out] = step(active, { type: 'invalidate', now: T0 + 1, tokenId: token.id });
    expect(next.status).toBe('refreshing');
    expect(types(out)).toContain('start-refresh');
    expect(step(next, { type: 'invalidate', now: T0 + 2, tokenId: token.id })[0]).toBe(next);
    expect(step(active, { type: 'invalidate', now: T0 + 1, tokenId: 99 })[0]).toBe(active);
  });

  it('makes callers wait after a 401 on the current token while a refresh is in flight', () => {
    const [next] = step(refreshing, { type: 'invalidate', now: T0 + 1, tokenId: token.id });
    expect(step(next, { type: 'request', now: T0 + 2, minValidityMs: 0 })[1]).toEqual([{ type: 'reply', reply: 'wait' }]);
  });

  it('emits signed-in when a refresh restores a session after sign-out, refreshed after a boot', () => {
    const anonymous: MachineState = { ...initialState(), status: 'anonymous', fallback: 'anonymous' };
    const [fromAnonymous] = step(anonymous, { type: 'refresh', now: T0 });
    const [fromBoot] = step(initialState(), { type: 'refresh', now: T0 });
    const done = { type: 'refreshed', now: T0, attempt: 1, token: tokenSet(2, T0, 60_000), rand: 0 } as const;
    expect(types(step(fromAnonymous, done)[1])).toContain('emit:signed-in');
    expect(types(step(fromBoot, done)[1])).toContain('emit:refreshed');
  });

  it('does not refresh proactively while offline and re-checks when back online', () => {
    const [offline] = step(active, { type: 'connectivity', now: T0, online: false });
    expect(step(offline, { type: 'tick', now: T0 + 55_000 })[0].status).toBe('active');
    expect(step(offline, { type: 'connectivity', now: T0 + 55_000, online: true })[0].status).toBe('refreshing');
  });

  it('settles waiters with NOT_SIGNED_IN on sign-out', () => {
    const [, out] = step(refreshing, { type: 'sign-out', now: T0 });
    const settle = out.find((e) => e.type === 'settle');
    expect(settle?.type === 'settle' && settle.error).toBeInstanceOf(NotSignedInError);
  });

  it('schedules the refresh at expiry minus the lead, capped at half the lifetime', () => {
    expect(refreshAtFor(tokenSet(1, 0, 60_000), policy, 0)).toBe(50_000);
    expect(refreshAtFor(tokenSet(1, 0, 4_000), policy, 0)).toBe(2_000);
    expect(refreshAtFor(tokenSet(1, 0, 600_000), policy, 0)).toBe(540_000);
    expect(refreshAtFor(tokenSet(1, 0, 60_000), { ...policy, jitterFraction: 0.2 }, 1)).toBe(52_000);
  });
});
