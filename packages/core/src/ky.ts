import ky, { type KyInstance, type Options } from 'ky';
import { createAuthFetch, type AuthFetchOptions } from './create-auth-fetch.js';
import type { Session } from './types.js';

/**
 * ky options that make every physical attempt (ky's retries included) carry the current token.
 * The token goes in through ky's `fetch` option, because `beforeRequest` runs once per call, not
 * per retry (ky 2).
 * @example
 * const api = ky.create({ prefix: 'https://api.example.com', ...authKyOptions(session, { origins }) });
 */
export function authKyOptions(session: Session, options: AuthFetchOptions = {}): Pick<Options, 'fetch'> {
  return { fetch: createAuthFetch(session, options) };
}

/**
 * A ready ky instance bound to a session.
 * @example
 * const api = createAuthKy(session, { origins: ['https://api.example.com'], ky: { prefix: 'https://api.example.com' } });
 * const me = await api.get('me').json();
 */
export function createAuthKy(session: Session, options: AuthFetchOptions & { ky?: Options } = {}): KyInstance {
  const { ky: kyOptions, ...fetchOptions } = options;
  return ky.create({ ...kyOptions, ...authKyOptions(session, { fetch: kyOptions?.fetch, ...fetchOptions }) });
}
