import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import { es256Signer, textToBase64url } from './crypto.js';

const ALG = 'ES256';
// RFC 9068: a distinct type stops an ID token or another JWT from passing as an access token.
const TYP = 'at+jwt';
// Registered claims the issuer sets itself; `authenticate` cannot override them.
// `cnf` too: only a proven DPoP key binds a token.
const RESERVED = new Set(['iss', 'aud', 'sub', 'iat', 'exp', 'nbf', 'jti', 'cnf']);

export interface KeyRingOptions {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  keyRotationMs: number;
  clock: () => number;
}

export interface SignedAccessToken {
  token: string;
  /** Seconds since the epoch. */
  exp: number;
  /** Seconds the token is valid from now. */
  expiresIn: number;
}

export interface KeyRing {
  /** `jkt`: bind the token to that DPoP key (`cnf.jkt`, RFC 9449 6.1). */
  sign(sub: string, claims: Readonly<Record<string, unknown>>, jkt?: string): Promise<SignedAccessToken>;
  /** The current public key and the previous one. */
  jwks(): Promise<JSONWebKeySet>;
  close(): void;
}

interface SigningKey {
  jwk: JWK;
  /** The JWS protected header, encoded once per key. */
  header: string;
  /** The base64url signature of a JWS signing input. */
  sign(input: string): Promise<string>;
}

interface Ring {
  current: SigningKey;
  jwks: JSONWebKeySet;
}

async function generate(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(publicKey);
  // The RFC 7638 thumbprint is a stable, collision-free kid without bookkeeping.
  const kid = await calculateJwkThumbprint(jwk);
  return { jwk: { ...jwk, kid, alg: ALG, use: 'sig' }, header: textToBase64url(JSON.stringify({ alg: ALG, kid, typ: TYP })), sign: es256Signer(privateKey) };
}

/**
 * ES256 signing keys that rotate every `keyRotationMs`. Rotation follows the clock (checked on
 * every use), so tests move time instead of waiting; the unref()ed timer only makes an idle
 * server rotate too. The previous public key stays published, so tokens signed just before a
 * rotation keep verifying until they expire.
 *
 * @example
 * const keys = createKeyRing({ issuer, audience, accessTtlSeconds: 300, keyRotationMs: 86_400_000, clock: Date.now });
 * const { token } = await keys.sign('alice', { roles: ['admin'] });
 */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { clock, keyRotationMs } = options;
  const start = clock();
  let epoch = 0;
  let ring: Promise<Ring> = generate().then((key) => ({ current: key, jwks: { keys: [key.jwk] } }));

  /** Chained on the previous ring, so concurrent callers share one rotation. */
  function current(): Promise<Ring> {
    const due = keyRotationMs > 0 ? Math.floor((clock() - start) / keyRotationMs) : 0;
    if (due > epoch) {
      epoch = due;
      ring = ring.then(async (old) => {
        const key = await generate();
        return { current: key, jwks: { keys: [key.jwk, old.current.jwk] } };
      });
    }
    return ring;
  }

  const registered = `"iss":${JSON.stringify(options.issuer)},"aud":${JSON.stringify(options.audience)}`;
  const timer = keyRotationMs > 0 ? setInterval(() => void current().catch(() => undefined), keyRotationMs) : undefined;
  timer?.unref?.();

  return {
    async sign(sub, claims, jkt) {
      const { current: key } = await current();
      const iat = Math.floor(clock() / 1000);
      const exp = iat + options.accessTtlSeconds;
      // The compact JWS built here rather than by jose's SignJWT: the header is encoded once per
      // key, the payload is the custom claims' JSON followed by the registered claims (serialized
      // as JSON.stringify would, in the same order), and the signature is one node:crypto call
      // (see es256Signer). The same token either way, without a per-token object of changing shape.
      const custom = Object.fromEntries(Object.entries(claims).filter(([name]) => !RESERVED.has(name)));
      if (jkt !== undefined) custom.cnf = { jkt };
      const head = JSON.stringify(custom);
      const payload = `${head === '{}' ? '{' : `${head.slice(0, -1)},`}${registered},"sub":${JSON.stringify(sub)},"iat":${iat},"exp":${exp},"jti":"${crypto.randomUUID()}"}`;
      const input = `${key.header}.${textToBase64url(payload)}`;
      return { token: `${input}.${await key.sign(input)}`, exp, expiresIn: options.accessTtlSeconds };
    },
    async jwks() {
      return structuredClone((await current()).jwks);
    },
    close() {
      clearInterval(timer);
    },
  };
}
