import { describe, expect, it } from 'vitest';
import type { CoordinatorEffect } from '../../src/coordinator/effects.js';
import type { PeerMessage } from '../../src/coordinator/parse-peer-message.js';
import { DEFAULT_TIMINGS, initialCoordinatorState, type CoordinatorConfig, type CoordinatorState } from '../../src/coordinator/state.js';
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

  it("counts a peer's epoch at most 1 s past its message's stamp", () => {
    const [state] = message({ type: 'signed-out', gen: Number.MAX_SAFE_INTEGER });
    expect(state.epoch).toBe(T0 + 1_000);
  });

  it('in cookie mode ignores a peer token that carries an access token', () => {
    const cookie = { ...config, cookieMode: true };
    const [state, effects] = transition(booted, { type: 'message', now: T0, message: { v: 1, type: 'tokens', from: 'peer', gen: 0, at: T0, token, signedIn: true } }, cookie);
    expect([state.own, effects]).toEqual([undefined, []]);
  });

  it('stays bounded: a closed tab does nothing more', () => {
    const [closed] = transition(booted, { type: 'close', now: T0 }, config);
    expect(transition(closed, { type: 'request', now: T0, id: 1, replaces: undefined }, config)).toEqual([closed, []]);
  });
});
