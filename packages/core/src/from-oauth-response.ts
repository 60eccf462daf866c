import { InvalidTokenResponseError } from './errors.js';
import type { TokenResponse } from './types.js';

/**
 * Reads an OAuth 2.0 token response body (RFC 6749 §5.1: `access_token`, `token_type`,
 * `expires_in`, `refresh_token`, `scope`) as the `TokenResponse` a refresher returns. Values are
 * checked when the session adopts them.
 * @example
 * refresh: async ({ signal }) => fromOAuthResponse(await (await fetch(tokenUrl, { method: 'POST', body, signal })).json())
 */
export function fromOAuthResponse(body: unknown): TokenResponse {
  if (typeof body !== 'object' || body === null) throw new InvalidTokenResponseError('OAuth token response is not a JSON object');
  const { access_token, token_type, expires_in, refresh_token, scope } = body as Record<string, unknown>;
  return {
    accessToken: access_token as string | undefined,
    tokenType: token_type as string | undefined,
    expiresIn: (typeof expires_in === 'string' ? Number(expires_in) : expires_in) as number | undefined,
    refreshToken: refresh_token as string | undefined,
    scope: scope as string | undefined,
  };
}
