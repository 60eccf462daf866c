import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { createReplayCache, type ReplayStore } from './create-replay-cache.js';
import { sha256 } from './crypto.js';

/** Asymmetric algorithms only (RFC 9449 4.3): a proof must be verifiable from its public key alone. */
export const DPOP_ALGORITHMS = ['ES256', 'EdDSA', 'PS256', 'RS256'] as const;

/** The `algs` parameter of a `DPoP` challenge (RFC 9449 7.1): the algorithms above. */
export const DPOP_ALGS = `algs="${DPOP_ALGORITHMS.join(' ')}"`;

/** What the proof must be about: this request, and (at a resource server) this access token. */
export interface DpopProofTarget {
  method: string;
  /** The request URL; its query and fragment are ignored, as `htu` leaves them out. */
  url: string | URL;
  /** The access token presented with the proof: its hash must be the proof's `ath`. */
  accessToken?: string;
}

/** Which check a proof failed (`multiple`: two `DPoP` headers, which arrive joined by `,` or `;`). */
export type DpopProofFailure = 'missing' | 'multiple' | 'jwk' | 'signature' | 'htm' | 'htu' | 'iat' | 'ath' | 'jti' | 'replay';

/** `jkt`: the RFC 7638 SHA-256 thumbprint of the proof's key, what a bound token's `cnf.jkt` holds. */
export type DpopProofResult = { ok: true; jkt: string } | { ok: false; reason: DpopProofFailure };

export interface DpopProofVerifierOptions {
  /** Seconds a proof is accepted after its `iat`. Default 60. */
  maxAgeSeconds?: number;
  /** Seconds of clock skew accepted either way. Default 5. */
  skewSeconds?: number;
  /** Most proof ids remembered at once; past it proofs are refused until old ones expire. Default 100 000. */
  maxReplayEntries?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number;
  /**
   * Proof ids shared by every instance (`createRedisReplayStore` from `@tokenward/redis`): a proof
   * is then accepted once across the fleet. Checked after this instance's own memory; while the
   * shared store fails, this instance's memory alone decides (the protection of one instance).
   */
  replayStore?: ReplayStore;
}

export type DpopProofVerifier = (proof: string | undefined, target: DpopProofTarget) => Promise<DpopProofResult>;

// Members that only a private or symmetric JWK has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
const MAX_JTI = 256;

/**
 * Checks an RFC 9449 DPoP proof: `typ: dpop+jwt`, an asymmetric `alg`, a public `jwk` header that
 * verifies the signature, `htm` and `htu` of this request, `iat` within `maxAgeSeconds` (with
 * `skewSeconds` either way), `jti` never seen before in that window, and `ath` when an access
 * token comes with it. The seen `jti`s live in this instance's memory, and in `replayStore` when
 * one is given: without it, behind a load balancer a proof captured in flight can be replayed once
 * to each other instance within the window.
 *
 * @example
 * const verifyProof = createDpopProofVerifier();
 * const result = await verifyProof(request.headers.get('dpop') ?? undefined, { method: request.method, url: request.url });
 * if (result.ok) console.log(result.jkt);
 */
export function createDpopProofVerifier(options: DpopProofVerifierOptions = {}): DpopProofVerifier {
  const { maxAgeSeconds = 60, skewSeconds = 5, maxReplayEntries = 100_000, clock = Date.now, replayStore } = options;
  // A proof is live from iat - skew to iat + maxAge + skew: remembered that long after any use.
  const ttlMs = (maxAgeSeconds + 2 * skewSeconds) * 1000;
  const seen = createReplayCache({ ttlMs, maxEntries: maxReplayEntries, clock });
  const sharedSays = async (key: string) => {
    try {
      return await replayStore!.add(key, ttlMs);
    } catch {
      return true; // the shared store failed: this instance's memory has decided
    }
  };

  return async (proof, { method, url, accessToken }) => {
    if (!proof) return { ok: false, reason: 'missing' };
    // Headers sent twice arrive joined (`,` in a Request, `; ` in a Node-style one): no JWT has either.
    if (proof.includes(',') || proof.includes(';')) return { ok: false, reason: 'multiple' };
    let header: { jwk?: unknown };
    let payload: Record<string, unknown>;
    try {
      header = decodeProtectedHeader(proof) as { jwk?: unknown };
      // EmbeddedJWK refuses a private key too; this says so before any key is imported.
      if (typeof header.jwk !== 'object' || header.jwk === null || PRIVATE_MEMBERS.some((name) => name in (header.jwk as object))) return { ok: false, reason: 'jwk' };
      ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGORITHMS], requiredClaims: ['jti', 'htm', 'htu', 'iat'] }));
    } catch {
      return { ok: false, reason: 'signature' };
    }
    const { jti, htm, htu, iat, ath } = payload;
    if (htm !== method.toUpperCase()) return { ok: false, reason: 'htm' };
    if (typeof htu !== 'string' || !sameTarget(htu, url)) return { ok: false, reason: 'htu' };
    const now = clock() / 1000;
    if (typeof iat !== 'number' || iat > now + skewSeconds || iat < now - maxAgeSeconds - skewSeconds) return { ok: false, reason: 'iat' };
    if (accessToken !== undefined ? ath !== (await sha256(accessToken)) : ath !== undefined) return { ok: false, reason: 'ath' };
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI) return { ok: false, reason: 'jti' };
    const jkt = await calculateJwkThumbprint(header.jwk as JWK);
    // Checked last: a proof refused for another reason does not use up its jti.
    const key = `${jkt} ${jti}`;
    if (!seen.add(key) || (replayStore && !(await sharedSays(key)))) return { ok: false, reason: 'replay' };
    return { ok: true, jkt };
  };
}

/** RFC 9449 4.3: compared without query and fragment, after URL normalisation (case, default port, dot segments). */
function sameTarget(htu: string, url: string | URL): boolean {
  if (!URL.canParse(htu)) return false;
  const claimed = new URL(htu);
  const actual = new URL(url);
  return claimed.origin === actual.origin && claimed.pathname === actual.pathname;
}
