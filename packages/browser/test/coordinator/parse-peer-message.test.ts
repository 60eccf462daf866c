import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePeerMessage, type PeerMessage } from '../../src/coordinator/parse-peer-message.js';

const NOW = Date.UTC(2026, 0, 1);
const envelope = { v: 1, from: 'tab-a1', gen: 3, at: NOW } as const;
const token = { accessToken: 'h.p.s', tokenType: 'Bearer', expiresAt: NOW + 60_000, obtainedAt: NOW - 1000 };

const valid: PeerMessage[] = [
  { ...envelope, type: 'hello' },
  { ...envelope, round: 2, type: 'hello' },
  { ...envelope, type: 'signed-out' },
  { ...envelope, type: 'tokens', token, signedIn: false },
  { ...envelope, type: 'tokens', token: { tokenType: 'cookie', expiresAt: NOW + 5, obtainedAt: NOW, scope: 'a b' }, signedIn: true, to: 'tab-b2' },
  { ...envelope, type: 'failed' },
  { ...envelope, type: 'failed', retryAfterMs: 5000 },
  { ...envelope, type: 'expired', reason: 'invalid_grant' },
];

describe('parsePeerMessage', () => {
  it.each(valid.map((message) => [message.type, message]))('accepts a well-formed %s', (_, message) => {
    expect(parsePeerMessage(structuredClone(message), NOW)).toEqual(message);
  });

  it.each([
    ['another version', { ...envelope, v: 2, type: 'hello' }],
    ['an unknown type', { ...envelope, type: 'steal' }],
    ['a prototype key as type', { ...envelope, type: 'constructor' }],
    ['an unknown key', { ...envelope, type: 'hello', extra: 1 }],
    ['a key of another type', { ...envelope, type: 'hello', reason: 'x' }],
    ['no sender', { v: 1, type: 'hello', gen: 0, at: NOW }],
    ['a sender id with spaces', { ...envelope, from: 'a b', type: 'hello' }],
    ['a fractional generation', { ...envelope, gen: 1.5, type: 'hello' }],
    ['a negative generation', { ...envelope, gen: -1, type: 'hello' }],
    ['a hello older than 10 s', { ...envelope, at: NOW - 10_001, type: 'hello' }],
    ['a lock round that is not a count', { ...envelope, round: -1, type: 'hello' }],
    ['a failure older than 10 s', { ...envelope, at: NOW - 10_001, type: 'failed' }],
    ['a message stamped more than 1 s ahead (tabs share one clock)', { ...envelope, at: NOW + 1_001, type: 'signed-out' }],
    ['a NaN time', { ...envelope, at: NaN, type: 'hello' }],
    ['tokens without a token', { ...envelope, type: 'tokens', signedIn: false }],
    ['tokens with a refresh token', { ...envelope, type: 'tokens', token: { ...token, refreshToken: 'r' }, signedIn: false }],
    ['tokens expiring before obtained', { ...envelope, type: 'tokens', token: { ...token, expiresAt: token.obtainedAt }, signedIn: false }],
    ['tokens with an oversized access token', { ...envelope, type: 'tokens', token: { ...token, accessToken: 'x'.repeat(65_537) }, signedIn: false }],
    ['tokens with a header-breaking access token', { ...envelope, type: 'tokens', token: { ...token, accessToken: 'a\r\nb' }, signedIn: false }],
    ['tokens with an oversized scope', { ...envelope, type: 'tokens', token: { ...token, scope: 's'.repeat(1025) }, signedIn: false }],
    ['tokens with a string signedIn', { ...envelope, type: 'tokens', token, signedIn: 'yes' }],
    ['failed with a negative retry', { ...envelope, type: 'failed', retryAfterMs: -1 }],
    ['expired with a long reason', { ...envelope, type: 'expired', reason: 'r'.repeat(65) }],
    ['an array', [envelope]],
    ['null', null],
    ['a string', JSON.stringify({ ...envelope, type: 'hello' })],
  ])('refuses %s', (_, data) => {
    expect(parsePeerMessage(data, NOW)).toBeUndefined();
  });

  it('accepts announcements of any age: a tab resuming from freeze still learns of a sign-out', () => {
    for (const message of valid.filter((m) => ['tokens', 'signed-out', 'expired'].includes(m.type))) {
      expect(parsePeerMessage({ ...message, at: NOW - 3_600_000 }, NOW)).toBeDefined();
    }
  });

  it('never throws and accepts nothing but well-formed messages, whatever arrives', () => {
    fc.assert(
      fc.property(fc.anything({ withObjectString: true, withNullPrototype: true, withMap: true, withBigInt: true, withDate: true, withTypedArray: true }), (data) => {
        const parsed = parsePeerMessage(data, NOW);
        if (parsed) expect(valid.some((message) => message.type === parsed.type)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every single-field corruption of a valid message', () => {
    const corruption = fc.oneof(fc.anything(), fc.constant(undefined), fc.string({ maxLength: 70 }), fc.double(), fc.integer());
    fc.assert(
      fc.property(fc.constantFrom(...valid), fc.constantFrom('v', 'type', 'from', 'gen', 'round', 'at', 'token', 'signedIn', 'to', 'retryAfterMs', 'reason', 'bogus'), corruption, (message, key, value) => {
        const mutated: Record<string, unknown> = { ...message, [key]: value };
        const parsed = parsePeerMessage(mutated, NOW);
        if (parsed) {
          // Whatever got through must still be a fully valid message of its type.
          expect(parsePeerMessage(structuredClone(parsed), NOW)).toEqual(parsed);
          expect(Object.keys(parsed).every((k) => ['v', 'type', 'from', 'gen', 'round', 'at', 'token', 'signedIn', 'to', 'retryAfterMs', 'reason'].includes(k))).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses arbitrary junk in a token', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 12 }), fc.anything()), (junk) => {
        const data = { ...envelope, type: 'tokens', token: junk, signedIn: false };
        const parsed = parsePeerMessage(data, NOW);
        if (parsed?.type === 'tokens') {
          expect(parsed.token.expiresAt).toBeGreaterThan(parsed.token.obtainedAt);
          expect(typeof parsed.token.tokenType).toBe('string');
        }
      }),
      { numRuns: 2000 },
    );
  });
});
