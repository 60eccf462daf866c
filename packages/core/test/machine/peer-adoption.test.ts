// Which peer tokens a session adopts (SECURITY.md, "Tokens from other tabs"): regression tests for
// issue 11 items 4-6, written before the fix.
import { describe, expect, it } from 'vitest';
import { defaultPolicy, refreshAtFor } from '../../src/machine/policy.js';
import { initialState, type MachineState } from '../../src/machine/state.js';
import { transition } from '../../src/machine/transition.js';
import type { SharedToken } from '../../src/types.js';
import { tokenSet } from '../helpers/tokens.js';

const policy = { ...defaultPolicy, leadMs: 10_000, jitterFraction: 0 };
const T0 = 1_000_000_000;
const YEAR = 366 * 24 * 3600 * 1000;
const local = tokenSet(1, T0, 600_000, 'local');
const active: MachineState = { ...initialState(), status: 'active', token: local, refreshAt: refreshAtFor(local, policy, 0), fallback: 'unknown' };

function fromPeer(state: MachineState, token: SharedToken, signedIn = false, cookieMode = false) {
  return transition(state, { type: 'peer', now: T0, message: { type: 'tokens', token, signedIn }, id: 7, cookieMode, rand: 0 }, policy);
}
const shared = (obtainedAt: number, lifetimeMs: number, accessToken = 'peer'): SharedToken => ({ accessToken, tokenType: 'Bearer', obtainedAt, expiresAt: obtainedAt + lifetimeMs });

describe('peer adoption', () => {
  it('refuses a peer token obtained in the future beyond the skew, so it cannot outlive the lifetime cap', () => {
    const [next, effects] = fromPeer(initialState(), shared(T0 + 10 * YEAR, YEAR));
    expect(next.token).toBeUndefined();
    expect(effects).toEqual([]);
    // Within the skew it is adopted.
    expect(fromPeer(initialState(), shared(T0 + 500, 60_000))[0].token?.accessToken).toBe('peer');
  });

  it('caps the expiry of a peer token at now plus the maximum lifetime', () => {
    const [next] = fromPeer(initialState(), { accessToken: 'peer', tokenType: 'Bearer', obtainedAt: T0 - 1000, expiresAt: T0 + 5 * YEAR });
    expect(next.token?.expiresAt).toBe(T0 + YEAR);
  });

  it("adopts a peer's sign-in whatever its expiry, but a peer's refresh only when it expires later", () => {
    const shorter = shared(T0, 60_000, 'other-user');
    expect(fromPeer(active, shorter, false)[0].token?.accessToken).toBe('local');
    const [next, effects] = fromPeer(active, shorter, true);
    expect(next.token).toMatchObject({ accessToken: 'other-user', id: 7 });
    expect(effects.map((e) => (e.type === 'emit' ? e.event : e.type))).toContain('signed-in');
  });

  it('in cookie mode ignores a peer token that carries an access token, and adopts one that does not', () => {
    const [ignored, none] = fromPeer(initialState(), shared(T0, 60_000, 'bearer-token'), true, true);
    expect(ignored.token).toBeUndefined();
    expect(none).toEqual([]);
    const [adopted] = fromPeer(initialState(), { tokenType: 'Bearer', obtainedAt: T0, expiresAt: T0 + 60_000 }, true, true);
    expect(adopted.status).toBe('active');
    expect(adopted.token?.accessToken).toBeUndefined();
  });
});
