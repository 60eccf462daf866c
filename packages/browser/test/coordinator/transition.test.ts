import { describe, expect, it } from 'vitest';
import type { CoordinatorEffect } from '../../src/coordinator/effects.js';
import type { PeerMessage } from '../../src/coordinator/parse-peer-message.js';
import { DEFAULT_TIMINGS, initialCoordinatorState, knowledge, type CoordinatorConfig, type CoordinatorState } from '../../src/coordinator/state.js';
import { transition } from '../../src/coordinator/transition.js';

const T0 = 1_800_000_000_000;
const config: CoordinatorConfig = { ...DEFAULT_TIMINGS, lockWaitMs: 12_000, tab: 'me', cookieMode: false };
const booted: CoordinatorState = initialCoordinatorState(T0 - 1_000, config);
const token = { accessToken: 'peer', tokenType: 'Bearer', obtainedAt: T0, expiresAt: T0 + 60_000 };
const types = (effects: readonly CoordinatorEffect[]) => effects.map((e) => e.type);
const message = (body: Partial<PeerMessage> & { type: PeerMessage['type'] }, now = T0) => transition(booted, { type: 'message', now, message: { v: 1, from: 'peer', gen: 0, at: now, ...body } as PeerMessage }, config);

describe('coordinator transition', () => {
  it('waits for the lock, runs under it, posts the result, hands the lock over after the handoff', () => {
    let [state, effects] = transition(booted, { type: 'request', now: T0, id: 1, replaces: T0 + 10_000 }, config);
    expect([state.phase, types(effects)]).toEqual(['waiting', ['lock', 'schedule']]);
    [state, effects] = transition(state, { type: 'granted', now: T0 + 5, id: 1 }, config);
    expect([state.phase, types(effects)]).toEqual(['holding', ['post', 'run', 'schedule']]);
    [state, effects] = transition(state, { type: 'settled', now: T0 + 50, id: 1, outcome: { kind: 'token', token } }, config);
    expect([state.phase, types(effects)]).toEqual(['handoff', ['post', 'settle', 'schedule']]);
    [state, effects] = transition(state, { type: 'tick', now: T0 + 50 + config.handoffMs }, config);
    expect([state.phase, types(effects)]).toEqual(['idle', ['unlock', 'schedule']]);
  });

  it('a waiter granted the lock after a peer replaced its token adopts it and calls no server', () => {
    let [state] = transition(booted, { type: 'request', now: T0, id: 1, replaces: T0 - 1 }, config);
    // The result arrived (and settled the waiter); a late grant goes straight back.
    [state] = transition(state, { type: 'message', now: T0 + 1, message: { v: 1, type: 'tokens', from: 'peer', gen: 0, at: T0, token, signedIn: false } }, config);
    expect(state.phase).toBe('idle');
    const [, effects] = transition(state, { type: 'granted', now: T0 + 2, id: 1 }, config);
    expect(types(effects)).toEqual(['unlock']);
  });

  it('a waiter granted the lock with under half its refresh timeout left lets it go: a request then could be aborted after the server rotated', () => {
    const [waiting] = transition(booted, { type: 'request', now: T0, id: 1, replaces: T0 + 10_000 }, config);
    // It waited out a hung holder: the session's timeout would abort its request within 4 s.
    const [late, effects] = transition(waiting, { type: 'granted', now: T0 + config.refreshTimeoutMs / 2 + 1, id: 1 }, config);
    expect([late.phase, late.blockedSince]).toEqual(['idle', undefined]);
    expect(effects).toEqual([{ type: 'unlock', id: 1 }, { type: 'settle', id: 1, settlement: { kind: 'failed', retryAfterMs: undefined } }, { type: 'schedule', at: undefined }]);
    // Its retry has a whole timeout, and refreshes.
    const [retry] = transition(late, { type: 'request', now: T0 + 6_000, id: 2, replaces: T0 + 10_000 }, config);
    const [holding, run] = transition(retry, { type: 'granted', now: T0 + 6_000 + config.refreshTimeoutMs / 2, id: 2 }, config);
    expect([holding.phase, types(run)]).toEqual(['holding', ['post', 'run', 'schedule']]);
  });

  it('a waiter granted the lock of a later round first adopts the token a peer announced meanwhile', () => {
    let [state] = transition(booted, { type: 'request', now: T0, id: 1, replaces: T0 + 10_000 }, config);
    // It waited out a frozen holder and asked for the next round's lock ...
    [state] = transition(state, { type: 'tick', now: T0 + config.lockWaitMs }, config);
    expect(state.round).toBe(1);
    // ... and a peer's announcement came before the grant (a tab that asked for that lock first).
    const newer = { ...token, expiresAt: T0 + 70_000 };
    const [settled, effects] = transition({ ...state, own: newer }, { type: 'granted', now: T0 + config.lockWaitMs + 1, id: 1 }, config);
    expect(settled.phase).toBe('idle');
    expect(effects).toContainEqual({ type: 'settle', id: 1, settlement: { kind: 'token', token: newer } });
    expect(types(effects)).not.toContain('run');
  });

  it('moves to the next lock round only after the lock wait, and resets it at any sign of the lock moving', () => {
    let [state] = transition(booted, { type: 'request', now: T0, id: 1, replaces: undefined }, config);
    [state] = transition(state, { type: 'message', now: T0 + 6_000, message: { v: 1, type: 'locked', from: 'peer', gen: 0, at: T0 + 6_000 } }, config);
    let [next, effects] = transition(state, { type: 'tick', now: T0 + 12_000 }, config);
    expect(next.round).toBe(0);
    [next, effects] = transition(state, { type: 'tick', now: T0 + 18_000 }, config);
    expect(next.round).toBe(1);
    expect(effects).toContainEqual({ type: 'lock', id: 1, round: 1 });
  });

  it('follows a peer to a later lock round one round at a time, whatever it claims', () => {
    const [state] = message({ type: 'hello', round: Number.MAX_SAFE_INTEGER });
    expect(state.round).toBe(1);
  });

  it('answers a new tab without a live token with a hello that teaches it the epoch and the lock round', () => {
    const [moved] = message({ type: 'locked', round: 1 });
    const [signedOut] = transition(moved, { type: 'message', now: T0, message: { v: 1, type: 'signed-out', from: 'peer', gen: T0 - 5, at: T0 } }, config);
    const [, effects] = transition(signedOut, { type: 'message', now: T0, message: { v: 1, type: 'hello', from: 'new', gen: 0, at: T0 } }, config);
    const answer = { v: 1, type: 'hello', from: 'me', gen: T0 - 5, round: 1, at: T0, to: 'new' } as const;
    expect(effects).toEqual([{ type: 'post', message: answer }]);
    // The new tab, in its hello window, takes both (its refresh's result is then news to the others)
    // and asks nothing back; a tab the answer is not addressed to ignores it.
    const newTab = { ...config, tab: 'new' };
    const [hello] = transition(initialCoordinatorState(T0, newTab), { type: 'request', now: T0, id: 1, replaces: undefined }, newTab);
    const [joined, none] = transition(hello, { type: 'message', now: T0 + 1, message: answer }, newTab);
    expect([joined.phase, joined.round, joined.epoch, 'job' in joined && joined.job.epoch, none]).toEqual(['hello', 1, T0 - 5, T0 - 5, []]);
    expect(transition(booted, { type: 'message', now: T0, message: answer }, config)[0]).toEqual(booted);
  });

  it('a refused refresh ends the session one epoch past its own: a sign-in elsewhere meanwhile still wins', () => {
    let [state] = transition(booted, { type: 'request', now: T0, id: 1, replaces: undefined }, config);
    [state] = transition(state, { type: 'granted', now: T0, id: 1 }, config);
    // Another tab signs in (a new cookie family) while this refresh, with the old cookie, is refused.
    const [expired, effects] = transition(state, { type: 'settled', now: T0 + 80, id: 1, outcome: { kind: 'expired', reason: 'invalid_grant' } }, config);
    expect(effects).toContainEqual({ type: 'post', message: { v: 1, type: 'expired', from: 'me', gen: 1, round: 0, at: T0 + 80, reason: 'invalid_grant' } });
    const signIn = { v: 1, type: 'tokens', from: 'peer', gen: T0 + 50, at: T0 + 50, token, signedIn: true } as const;
    const [after, delivered] = transition(expired, { type: 'message', now: T0 + 90, message: signIn }, config);
    expect([after.own, delivered]).toEqual([token, [{ type: 'deliver', message: { type: 'tokens', token, signedIn: true } }]]);
    // A result from before the refusal (epoch 0) is history.
    const late = { ...signIn, gen: 0, signedIn: false };
    expect(transition(expired, { type: 'message', now: T0 + 90, message: late }, config)[1]).toEqual([]);
  });

  it("counts a peer's epoch at most 1 s past its message's stamp", () => {
    const [state] = message({ type: 'signed-out', gen: Number.MAX_SAFE_INTEGER });
    expect(state.epoch).toBe(T0 + 1_000);
  });

  it('in cookie mode ignores a peer token that carries an access token', () => {
    const cookie = { ...config, cookieMode: true };
    const [state, effects] = transition(booted, { type: 'message', now: T0, message: { v: 1, type: 'tokens', from: 'peer', gen: 0, at: T0, token, signedIn: true } }, cookie);
    expect([state.own, effects]).toEqual([undefined, []]);
  });

  it('keeps only the knowledge across a phase change: no field of any phase survives it', () => {
    const job = { id: 1, replaces: undefined, at: T0, epoch: 0 };
    const phases = [{ phase: 'hello', job }, { phase: 'holding', job, until: T0 }, { phase: 'handoff', id: 1, until: T0 }, { phase: 'closed' }] as const;
    for (const phase of phases) expect(Object.keys(knowledge({ ...booted, ...phase })).sort()).toEqual(['blockedSince', 'ended', 'epoch', 'helloUntil', 'lag', 'own', 'round']);
  });

  it('stays bounded: a closed tab does nothing more', () => {
    const [closed] = transition(booted, { type: 'close', now: T0 }, config);
    expect(transition(closed, { type: 'request', now: T0, id: 1, replaces: undefined }, config)).toEqual([closed, []]);
  });
});
