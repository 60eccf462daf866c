import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';

const ALG = 'ES256';
// RFC 9068: a distinct type stops an ID token or another JWT from passing as an access token.
const TYP = 'at+jwt';

export interface KeyRingOptions {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  keyRotationMs: number;
  clock: () => number;
}

export interface AccessClaims extends JWTPayload {
  sub: string;
  role: string;
  exp: number;
}

export interface KeyRing {
  sign(subject: string, role: string): Promise<{ token: string; expiresIn: number }>;
  /** Resolves the claims, or rejects (jose's error) when the token is not ours, expired or malformed. */
  verify(token: string): Promise<AccessClaims>;
  jwks(): Promise<JSONWebKeySet>;
  close(): void;
}

interface SigningKey {
  privateKey: CryptoKey;
  jwk: JSONWebKeySet['keys'][number];
}

interface Ring {
  current: SigningKey;
  jwks: JSONWebKeySet;
  keySet: ReturnType<typeof createLocalJWKSet>;
}

async function generate(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(publicKey);
  // The RFC 7638 thumbprint is a stable, collision-free kid without extra bookkeeping.
  return { privateKey, jwk: { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALG, use: 'sig' } };
}

function ringOf(current: SigningKey, previous?: SigningKey): Ring {
  // The previous public key stays published so tokens signed just before a rotation verify.
  const jwks = { keys: previous ? [current.jwk, previous.jwk] : [current.jwk] };
  return { current, jwks, keySet: createLocalJWKSet(jwks) };
}

/**
 * ES256 signing keys that rotate every `keyRotationMs`. Rotation follows the injected
 * clock (checked on every use), so tests move time instead of waiting; the unref()ed
 * timer only makes an idle server rotate too, and never keeps the process alive.
 */
export function createKeyRing(options: KeyRingOptions): KeyRing {
  const { clock, keyRotationMs } = options;
  const start = clock();
  let epoch = 0;
  let ring: Promise<Ring> = generate().then((key) => ringOf(key));

  const epochAt = (now: number) => (keyRotationMs > 0 ? Math.floor((now - start) / keyRotationMs) : 0);

  /** Chained on the previous ring, so concurrent callers share one rotation. */
  function current(): Promise<Ring> {
    const due = epochAt(clock());
    if (due > epoch) {
      epoch = due;
      ring = ring.then(async (old) => ringOf(await generate(), old.current));
    }
    return ring;
  }

  const timer =
    keyRotationMs > 0 ? setInterval(() => void current().catch(() => undefined), keyRotationMs) : undefined;
  timer?.unref();

  return {
    async sign(subject, role) {
      const { current: key } = await current();
      const iat = Math.floor(clock() / 1000);
      const token = await new SignJWT({ role })
        .setProtectedHeader({ alg: ALG, kid: key.jwk.kid, typ: TYP })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(subject)
        .setIssuedAt(iat)
        .setExpirationTime(iat + options.accessTtlSeconds)
        .setJti(crypto.randomUUID())
        .sign(key.privateKey);
      return { token, expiresIn: options.accessTtlSeconds };
    },
    async verify(token) {
      const { keySet } = await current();
      const { payload } = await jwtVerify(token, keySet, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [ALG],
        typ: TYP,
        clockTolerance: 2,
        currentDate: new Date(clock()),
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.role !== 'string') throw new TypeError('access token without a role');
      return payload as AccessClaims;
    },
    async jwks() {
      const { jwks } = await current();
      return structuredClone(jwks);
    },
    close() {
      clearInterval(timer);
    },
  };
}
