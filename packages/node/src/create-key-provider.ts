import { createPublicKey, KeyObject, randomUUID } from 'node:crypto';
import { ConfigError } from '@tokenward/core';
import { exportJWK, generateKeyPair, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { importSigningKey, isCryptoKey, type PrivateKeyInput } from './client-auth.js';

/**
 * A key to sign with, and the public half to publish.
 * @example
 * const { privateKey, kid, alg } = await keys.current();
 */
export interface SigningKeyPair {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/**
 * Where self-minted tokens get their signing key. Rotation is the provider's business: implement
 * it over a KMS or a secrets store, or use `createKeyProvider`.
 * @example
 * const fromVault: KeyProvider = {
 *   current: async () => vault.currentSigningKey(), // { kid, alg, privateKey, publicJwk }
 *   jwks: async () => ({ keys: await vault.publishedPublicKeys() }),
 * };
 */
export interface KeyProvider {
  /** The key to sign with now. */
  current(): SigningKeyPair | Promise<SigningKeyPair>;
  /** The public keys a verifier must accept now: the next key, the current one and recently retired ones. */
  jwks(): JSONWebKeySet | Promise<JSONWebKeySet>;
}

/**
 * Rotation of `createKeyProvider`.
 * @example
 * createKeyProvider({ alg: 'EdDSA', rotateEveryMs: 6 * 3600_000, retainMs: 3600_000 });
 */
export interface KeyProviderOptions {
  /** JWS algorithm of generated keys. Default `ES256`. */
  alg?: string;
  /** How long a key signs before the next one takes over. Default 24 h. */
  rotateEveryMs?: number;
  /** How long a retired key stays in the JWKS (cover the longest token lifetime plus verifier caching). Default 1 h. */
  retainMs?: number;
  /** Epoch ms now. Default `Date.now`. */
  now?: () => number;
}

interface Slot {
  key: SigningKeyPair;
  /** Until when it is published after retiring; undefined while not retired. */
  retainUntil?: number;
}

/**
 * An in-memory rotating key provider. Rotation is lazy (checked when a key is asked for, no timer),
 * and the next key is published one period before it signs, so verifiers that cache the JWKS for
 * less than `rotateEveryMs` never see an unknown `kid`.
 * @example
 * const keys = createKeyProvider({ alg: 'ES256', rotateEveryMs: 6 * 3600_000 });
 * const tokens = createSelfSignedTokens({ key: keys, issuer: 'billing', subject: 'billing', audience: 'ledger', ttl: 60 });
 * app.get('/.well-known/jwks.json', async (_req, res) => res.json(await keys.jwks()));
 */
export function createKeyProvider(options: KeyProviderOptions = {}): KeyProvider {
  const { alg = 'ES256', rotateEveryMs = 24 * 3600_000, retainMs = 3600_000, now = Date.now } = options;
  if (!(rotateEveryMs > 0) || !(retainMs >= 0)) throw new ConfigError('rotateEveryMs must be > 0 and retainMs >= 0');
  let state: Promise<{ current: Slot; next: Slot; retired: Slot[]; rotateAt: number }> | undefined;

  const advance = async () => {
    const at = now();
    if (state === undefined) {
      const [current, next] = await Promise.all([generate(alg), generate(alg)]);
      return { current: { key: current }, next: { key: next }, retired: [], rotateAt: at + rotateEveryMs };
    }
    let { current, next, retired, rotateAt } = await state;
    // One step per elapsed period: after a long sleep the chain catches up rather than skipping keys.
    while (at >= rotateAt) {
      retired = [...retired, { key: current.key, retainUntil: rotateAt + retainMs }];
      current = next;
      next = { key: await generate(alg) };
      rotateAt += rotateEveryMs;
    }
    return { current, next, retired: retired.filter((slot) => slot.retainUntil! > at), rotateAt };
  };

  const settled = () => {
    const pending = advance();
    // A failed generation is not remembered: the next call tries again.
    const previous = state;
    state = pending;
    pending.catch(() => {
      if (state === pending) state = previous;
    });
    return pending;
  };

  return {
    async current() {
      return (await settled()).current.key;
    },
    async jwks() {
      const { current, next, retired } = await settled();
      return { keys: [next, current, ...retired].map((slot) => slot.key.publicJwk) };
    },
  };
}

/**
 * One fixed key as a provider.
 * @example
 * const provider = createStaticKeyProvider(process.env.SIGNING_KEY_PEM!, { kid: 'billing-2025', alg: 'ES256' });
 */
export function createStaticKeyProvider(key: PrivateKeyInput, options: { kid?: string; alg?: string } = {}): KeyProvider {
  const pair = (async (): Promise<SigningKeyPair> => {
    const signing = await importSigningKey(key, options.alg, options.kid);
    const kid = signing.kid ?? options.kid;
    if (kid === undefined) throw new ConfigError('A signing key needs a kid');
    return { kid, alg: signing.alg, privateKey: signing.key, publicJwk: { ...publicJwkOf(key), kid, alg: signing.alg, use: 'sig' } };
  })();
  pair.catch(() => undefined);
  return {
    current: () => pair,
    jwks: async () => ({ keys: [(await pair).publicJwk] }),
  };
}

async function generate(alg: string): Promise<SigningKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: false });
  const kid = randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function publicJwkOf(key: PrivateKeyInput): JWK {
  if (typeof key === 'string' || key instanceof KeyObject) return createPublicKey(key).export({ format: 'jwk' }) as JWK;
  if (isCryptoKey(key)) return createPublicKey(KeyObject.from(key)).export({ format: 'jwk' }) as JWK;
  // Only the public members: a private JWK's d, p, q, dp, dq, qi stay behind.
  const { kty, crv, x, y, n, e } = key;
  return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined));
}
