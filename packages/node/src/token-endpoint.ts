import { InvalidTokenResponseError, type TokenResponse } from '@tokenward/core';
import { readJwtTimes } from '@tokenward/core/internal';
import * as oauth from 'oauth4webapi';
import { toRefreshError } from './classify.js';
import { parseHttpDate, type ClockOffset } from './clock-offset.js';
import type { FetchLike } from './observe-fetch.js';

/** A rejected assertion is retried once if the server's clock proves ours off by more than this. */
export const skewRetryThresholdMs = 5_000;

export interface TokenRequest {
  server: oauth.AuthorizationServer;
  /** Fresh metadata after the token endpoint of `stale` looked moved (see `ServerResolver`). */
  rediscover(stale: oauth.AuthorizationServer): Promise<oauth.AuthorizationServer>;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  /** Whether `auth` signs a time-bound assertion (so clock skew can explain an `invalid_client`). */
  signsAssertion: boolean;
  parameters: URLSearchParams;
  fetch: FetchLike;
  offset: ClockOffset;
  allowInsecureRequests: boolean;
  signal: AbortSignal;
  /** Lifetime (s) assumed for a token that states none: no `expires_in`, not a JWT with `exp`. */
  defaultExpiresIn: number;
  /** Signs each request with a DPoP proof (RFC 9449); only then is a DPoP-bound token accepted. */
  dpop?: oauth.DPoPHandle;
}

/**
 * One client credentials grant, as one refresh attempt. Each request signs a new assertion; an
 * `invalid_client` whose response `Date` shows our clock off by more than a few seconds from the
 * offset the assertion was signed with is retried once, right away, in corrected server time.
 * A 404, a 410 or no answer at all may mean the endpoint moved: the issuer is discovered again,
 * and if it names another token endpoint the request goes there, once, right away. With DPoP, a
 * `use_dpop_nonce` refusal is retried once, right away, with the nonce the server sent.
 */
export async function requestToken(request: TokenRequest): Promise<TokenResponse> {
  const { client, auth, fetch, offset, signal } = request;
  let server = request.server;
  let rediscovered = false;
  let nonceRetried = false;
  let skewRetried = false;
  for (;;) {
    const signedWithOffset = offset.offsetMs;
    let response: Response | undefined;
    let unreachable = false;
    try {
      response = await oauth.clientCredentialsGrantRequest(server, client, auth, request.parameters, {
        signal,
        [oauth.customFetch]: (url: string, init: RequestInit) =>
          fetch(url, init).catch((error: unknown) => {
            unreachable = !signal.aborted;
            throw error;
          }),
        [oauth.allowInsecureRequests]: request.allowInsecureRequests,
        DPoP: request.dpop,
      });
      const body = await oauth.processClientCredentialsResponse(server, client, response);
      // A DPoP-bound token needs a proof with every use; with no key it is useless, and sent as a
      // bearer-style scheme it is refused by the API at best. oauth4webapi lowercases the type.
      if (body.token_type === 'dpop' && !request.dpop) {
        throw new InvalidTokenResponseError('The token endpoint issued a DPoP-bound token (token_type DPoP), and DPoP is not configured');
      }
      return {
        accessToken: body.access_token,
        tokenType: body.token_type === 'dpop' ? 'DPoP' : body.token_type,
        expiresIn: body.expires_in ?? (jwtExpiry(body.access_token) === undefined ? request.defaultExpiresIn : undefined),
        scope: body.scope,
        serverDate: parseHttpDate(response.headers.get('date')),
      };
    } catch (error) {
      // The handle has kept the nonce of this answer: the retry's proof carries it.
      if (request.dpop && !nonceRetried && oauth.isDPoPNonceError(error) && !signal.aborted) {
        nonceRetried = true;
        continue;
      }
      const failure = toRefreshError(error);
      const skewed = Math.abs(offset.offsetMs - signedWithOffset) > skewRetryThresholdMs;
      if (!skewRetried && request.signsAssertion && failure.oauthError === 'invalid_client' && skewed && !signal.aborted) {
        skewRetried = true;
        continue;
      }
      const moved = unreachable || failure.status === 404 || failure.status === 410;
      if (moved && !rediscovered && !signal.aborted) {
        rediscovered = true;
        const fresh = await request.rediscover(server).catch(() => server);
        if (fresh.token_endpoint !== server.token_endpoint) {
          server = fresh;
          continue;
        }
      }
      throw failure;
    } finally {
      if (response && !response.bodyUsed) await response.body?.cancel().catch(() => undefined);
    }
  }
}

function jwtExpiry(token: string): number | undefined {
  try {
    return readJwtTimes(token).exp;
  } catch {
    return undefined;
  }
}
