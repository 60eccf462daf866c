import { getAdapter, type AxiosAdapter, type AxiosInstance, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import buildFullPath from 'axios/unsafe/core/buildFullPath.js';
import buildURL from 'axios/unsafe/helpers/buildURL.js';
import { bearer, isOneShot } from './create-auth-fetch.js';
import { createOriginCheck } from './create-origin-check.js';
import { isTokenwardError } from './errors.js';
import type { Session, TokenSet } from './types.js';

export interface AttachAuthOptions {
  /** Origins that receive the token. Required outside a browser; in a browser the page's origin by default. */
  origins?: readonly string[];
  /** Retry once with a fresh token when an allowed origin answers 401. Default true. */
  retryUnauthorized?: boolean;
}

type Outcome = { response: AxiosResponse; error?: undefined } | { response?: undefined; error: unknown };

/**
 * Makes every request of an axios instance to an allowed origin carry a valid token, with the
 * guarantees of `createAuthFetch`: one refresh however many requests meet a 401 at once, a late 401
 * for a replaced token refreshes nothing, one retry with the same body. The token is decided on the
 * URL axios sends (`baseURL` + `url` + `params`), and that exact URL is what gets sent. It goes in
 * through the adapter, so every physical attempt carries the current token. Returns the detach.
 * @example
 * const api = axios.create({ baseURL: 'https://api.example.com' });
 * const detach = attachAuth(api, session, { origins: ['https://api.example.com'] });
 */
export function attachAuth(instance: AxiosInstance, session: Session, options: AttachAuthOptions = {}): () => void {
  const targetOf = createOriginCheck(options.origins);
  const { retryUnauthorized = true } = options;

  async function send(config: InternalAxiosRequestConfig, adapter: AxiosAdapter): Promise<AxiosResponse> {
    // axios's own helpers, as its adapters call them (`instance.getUri` would merge the defaults again, per request).
    const target = targetOf(buildURL(buildFullPath(config.baseURL, config.url, config.allowAbsoluteUrls, config), config.params, config.paramsSerializer));
    if (target === undefined) return adapter(config);
    // A signal, not a CancelToken: only an AbortSignal can end a wait for the session.
    const signal = typeof config.signal?.addEventListener === 'function' ? (config.signal as AbortSignal) : undefined;
    const own = config.headers.has('authorization');
    // The URL checked is the URL sent: axios has nothing left to join or append.
    const attempt = (token: TokenSet): Promise<Outcome> =>
      Promise.resolve(adapter({ ...config, url: target, baseURL: '', params: null, allowAbsoluteUrls: true, headers: own ? config.headers : config.headers.concat(bearer(token)) })).then(
        (response) => ({ response }),
        (error: unknown) => ({ error }),
      );

    const token = await session.getTokenSet({ signal });
    let outcome = await attempt(token);
    // A 401 arrives as a response or, with the default validateStatus, as an error carrying it.
    const status = outcome.response?.status ?? (outcome.error as { response?: AxiosResponse } | undefined)?.response?.status;
    if (status === 401 && retryUnauthorized) {
      // Forces a refresh only if `token` is still current: a late 401 for a replaced token just retries.
      session.invalidate(token);
      if (!isOneShot(config.data)) {
        let fresh: TokenSet | undefined;
        try {
          fresh = await session.getTokenSet({ signal });
        } catch (error) {
          if (isTokenwardError(error) && error.code === 'ERR_ABORTED') throw error;
        }
        if (fresh) outcome = await attempt(fresh);
      }
    }
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.response!;
  }

  const id = instance.interceptors.request.use(
    (config) => {
      const inner = config.adapter ?? instance.defaults.adapter;
      config.adapter = (final) => send(final, getAdapter(inner, final));
      return config;
    },
    undefined,
    { synchronous: true },
  );
  return () => instance.interceptors.request.eject(id);
}
