import { isOneShot } from '../create-auth-fetch.js';
import { ConfigError } from '../errors.js';
import { baseUrl } from '../create-origin-check.js';
import { wantsDpopNonce } from '../rules/www-authenticate.js';
import type { DpopProver } from './create-dpop-prover.js';

export interface DpopFetchOptions {
  /** The fetch to wrap. Default: the global `fetch`, looked up on every call. */
  fetch?: typeof fetch;
  /** Exact URLs whose requests carry a proof with no access token (a refresh or token endpoint). */
  urls?: readonly string[];
}

const dpopAuthorization = /^\s*dpop\s+(\S+)\s*$/i;

/**
 * Wraps a fetch so that requests carrying `Authorization: DPoP <token>` (any case), and requests to
 * the exact `urls` given (no `ath` then), get a fresh `DPoP` proof header. It keeps the latest
 * `DPoP-Nonce` per origin and sends it; a 401 challenge `DPoP error="use_dpop_nonce"` or a 400 whose
 * JSON `error` is `use_dpop_nonce` is retried once with the new nonce (never with a one-shot body).
 * Any other request passes through untouched: no proof, so no public key, goes anywhere else.
 * @example
 * const authFetch = createAuthFetch(session, { origins: ['https://api.example.com'], fetch: createDpopFetch(prover) });
 */
export function createDpopFetch(prover: DpopProver, options: DpopFetchOptions = {}): typeof fetch {
  const urls = new Set((options.urls ?? []).map(absolute));
  const nonces = new Map<string, string>();

  return async function dpopFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const baseFetch = options.fetch ?? globalThis.fetch;
    const request = input instanceof Request ? input : undefined;
    const headers = new Headers(init?.headers ?? request?.headers);
    const accessToken = dpopAuthorization.exec(headers.get('authorization') ?? '')?.[1];
    // Nothing to sign: no URL to parse either.
    if (accessToken === undefined && urls.size === 0) return baseFetch(input, init);
    let url: URL;
    try {
      url = new URL(request ? request.url : String(input), baseUrl());
    } catch {
      return baseFetch(input, init);
    }
    if (accessToken === undefined && !urls.has(url.href)) return baseFetch(input, init);

    const method = init?.method ?? request?.method ?? 'GET';
    const oneShot = isOneShot(init?.body);
    // A Request's body is consumed by sending it: keep a copy for the one retry. The URL fetched is
    // the one the proof names.
    const spare = request?.body && !oneShot ? request.clone() : request ?? url.href;
    const send = async (target: Request | string) => {
      headers.set('dpop', await prover.proof(method, url.href, { accessToken, nonce: nonces.get(url.origin) }));
      const response = await baseFetch(target, { ...init, headers: new Headers(headers) });
      const nonce = response.headers.get('dpop-nonce');
      if (nonce) nonces.set(url.origin, nonce);
      return { response, fresh: nonce !== null && nonce !== '' };
    };

    const first = await send(request ?? url.href);
    if (!first.fresh || oneShot || !(await wantsNonce(first.response))) return first.response;
    first.response.body?.cancel().catch(() => {});
    return (await send(spare)).response;
  };
}

/** RFC 9449 §8 and §9: a resource server's 401 challenge, or an authorization server's 400 error. */
async function wantsNonce(response: Response): Promise<boolean> {
  if (response.status === 401) return wantsDpopNonce(response.headers.get('www-authenticate'));
  if (response.status !== 400) return false;
  try {
    const body: unknown = await response.clone().json();
    return (body as { error?: unknown } | null)?.error === 'use_dpop_nonce';
  } catch {
    return false;
  }
}

function absolute(url: string): string {
  try {
    return new URL(url).href;
  } catch {
    throw new ConfigError('DPoP `urls` must be absolute URLs');
  }
}
