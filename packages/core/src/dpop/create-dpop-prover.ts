import { calculateThumbprint, generateKeyPair, generateProof, type CryptoKey as WebCryptoKey } from 'dpop';
import { ConfigError } from '../errors.js';

/**
 * Signs DPoP proofs (RFC 9449) with one key pair.
 * @example
 * const prover = await createDpopProver(await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']));
 * const proof = await prover.proof('GET', 'https://api.example.com/me', { accessToken });
 */
export interface DpopProver {
  /** The public key's JWK SHA-256 thumbprint (RFC 7638): what a bound token's `cnf.jkt` holds. */
  readonly thumbprint: string;
  /** A fresh proof JWT (RFC 9449) for one request: `htm`, `htu` (no query, no fragment), `iat`, `jti`, `ath` when `accessToken` is given, `nonce` when given. */
  proof(method: string, url: string, options?: { accessToken?: string; nonce?: string }): Promise<string>;
}

/**
 * A WebCrypto key pair: the shape of the DOM's `CryptoKeyPair` (any one fits), spelled with `dpop`'s
 * key type, since Node's own types declare neither `CryptoKeyPair` nor a global `CryptoKey`.
 * @example
 * const keyPair: DpopKeyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
 */
export interface DpopKeyPair {
  readonly privateKey: WebCryptoKey;
  readonly publicKey: WebCryptoKey;
}

// The methods fetch upper-cases (Fetch standard, "normalize a method"); any other is sent as written.
const normalized = /^(?:delete|get|head|options|post|put)$/i;

/**
 * A prover over a WebCrypto key pair (ES256 by default; non-extractable private keys work). Built on
 * panva's `dpop`: the proofs are its, never hand-written. The public key must be extractable, since
 * every proof carries it as a JWK.
 * @example
 * const keyPair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
 * const prover = await createDpopProver(keyPair);
 * const authFetch = createAuthFetch(session, { origins, fetch: createDpopFetch(prover) });
 */
export async function createDpopProver(keyPair: DpopKeyPair): Promise<DpopProver> {
  const { privateKey, publicKey } = keyPair ?? {};
  if (privateKey?.type !== 'private' || publicKey?.type !== 'public' || !privateKey.usages.includes('sign')) {
    throw new ConfigError('A DPoP key pair needs a private key that can sign and its public key');
  }
  if (!publicKey.extractable) throw new ConfigError('The public key of a DPoP key pair must be extractable (every proof carries it)');
  let thumbprint: string;
  try {
    thumbprint = await calculateThumbprint(publicKey);
  } catch {
    throw new ConfigError('Unsupported DPoP key: use ES256 (ECDSA P-256), Ed25519, RS256 or PS256');
  }
  const pair = { privateKey, publicKey };
  return {
    thumbprint,
    proof(method, url, options = {}) {
      let htu: URL;
      try {
        htu = new URL(url);
      } catch {
        return Promise.reject(new ConfigError('A DPoP proof needs an absolute URL'));
      }
      htu.search = '';
      htu.hash = '';
      const htm = normalized.test(method) ? method.toUpperCase() : method;
      return generateProof(pair, htu.href, htm, options.nonce, options.accessToken);
    },
  };
}

/**
 * A new ES256 key pair for DPoP whose private key cannot be exported (WebCrypto keeps public keys
 * exportable, as every proof needs).
 * @example
 * const prover = await createDpopProver(await generateDpopKeyPair());
 */
export function generateDpopKeyPair(): Promise<DpopKeyPair> {
  return generateKeyPair('ES256', { extractable: false });
}
