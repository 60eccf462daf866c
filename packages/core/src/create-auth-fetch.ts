import { isTokenwardError } from './errors.js';
import { createOriginCheck } from './create-origin-check.js';
import { REQUEST_ERROR } from './rules/www-authenticate.js';
import { TOKEN_READERS } from './token-now.js';
import type { GetTokenOptions, Session, TokenSet } from './types.js';

export interface AuthFetchOptions {
  /** Origins that receive the token. Required outside a browser; in a browser the page's origin by default. */
  origins?: readonly string[];
  /** The fetch to wrap. Default: the global `fetch`, looked up on every call. */
  fetch?: typeof fetch;
  /** Retry once with a fresh token when an allowed origin answers 401 refusing the token. Default true. */
  retryUnauthorized?: boolean;
  /** Headers to add for a request to an allowed origin. Default: `Authorization: Bearer <token>`. */
  headers?: (token: TokenSet, method: string) => Record<string, string>;
  /** `credentials` for requests to allowed origins (cookie mode uses `'include'`). Default: the caller's. */
  credentials?: RequestInit['credentials'];
}

/**
 * Wraps `fetch` so that requests to allowed origins carry a valid token: it waits for a refresh in
 * flight, and after a 401 that refuses the token (a challenge with no `error`, or `invalid_token`)
 * it refreshes (only if that token is still current) and retries once.
 * @example
 * const authFetch = createAuthFetch(session, { origins: ['https://api.example.com'] });
 * const response = await authFetch('https://api.example.com/me');
 */
export function createAuthFetch(session: Session, options: AuthFetchOptions = {}): typeof fetch {
  const targetOf = createOriginCheck(options.origins);
  const { retryUnauthorized = true, headers: headersFor = bearer, credentials } = options;
  // A held token goes out without a promise in between (see token-now.ts). Any other session's
  // answer becomes a native promise, so a thenable of another library is awaited, not sent as a token.
  const readToken = TOKEN_READERS.get(session) ?? ((options?: GetTokenOptions) => Promise.resolve(session.getTokenSet(options)));

  return async function authFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const baseFetch = options.fetch ?? globalThis.fetch;
    // Decided on what fetch will request: a Request's own URL, or the string fetch would make of
    // anything else (a URL, or an object whose `url` says one thing and whose string another).
    const request = typeof input === 'string' ? undefined : asRequest(input);
    const target = request ? (targetOf(request.url) === undefined ? undefined : request) : targetOf(String(input));
    if (target === undefined) return baseFetch(input, init);

    const signal = init?.signal ?? request?.signal;
    const method = init?.method ?? request?.method ?? 'GET';
    // A Request's body is consumed by sending it: keep a copy for the one retry.
    const spare = retryUnauthorized && request?.body ? request.clone() : target;
    const send = (target: RequestInfo | URL, token: TokenSet) =>
      baseFetch(target, withAuth(init, request, headersFor(token, method), credentials));

    const held = readToken({ signal });
    const token = held instanceof Promise ? await held : held;
    const response = await send(target, token);
    // A 401 that blames the request, not the token (RFC 6750 §3.1), is not worth a refresh.
    if (response.status !== 401 || !retryUnauthorized || REQUEST_ERROR.test(response.headers.get('www-authenticate')!)) return response;

    // Forces a refresh only if `token` is still current: a late 401 for a replaced token just retries.
    session.invalidate(token);
    if (isOneShot(init?.body)) return response;
    let fresh: TokenSet;
    try {
      fresh = await readToken({ signal });
    } catch (error) {
      if (isTokenwardError(error) && error.code === 'ERR_ABORTED') throw error;
      return response;
    }
    response.body?.cancel().catch(() => {});
    return send(spare, fresh);
  };
}

/** `input` as the Request fetch will send, if it is one: this realm's, or another's (an iframe's) copied. */
function asRequest(input: RequestInfo | URL): Request | undefined {
  if (input instanceof Request) return input;
  return Object.prototype.toString.call(input) === '[object Request]' ? new Request(input as unknown as Request) : undefined;
}

/** The `Authorization` header for `token`; none in cookie mode. */
export function bearer(token: TokenSet): Record<string, string> {
  if (token.accessToken === undefined) return {};
  const scheme = /^bearer$/i.test(token.tokenType) ? 'Bearer' : token.tokenType;
  return { authorization: `${scheme} ${token.accessToken}` };
}

/** The caller's init with our headers added; a header the caller set itself wins. */
function withAuth(init: RequestInit | undefined, request: Request | undefined, extra: Record<string, string>, credentials: RequestInit['credentials']): RequestInit {
  const source = init?.headers ?? request?.headers;
  // A Headers or a list of pairs is copied to a plain object first (lower-case names).
  const headers = source === undefined ? extra : mergePlain(isPlainObject(source) ? source : Object.fromEntries(new Headers(source)), extra);
  return credentials ? { ...init, headers, credentials } : { ...init, headers };
}

function mergePlain(source: Record<string, string>, extra: Record<string, string>): Record<string, string> {
  // Copied by hand: spreading two objects costs V8 ~0.5 us, most of the wrapper's budget.
  const merged: Record<string, string> = {};
  for (const key in source) merged[key] = source[key]!;
  for (const name in extra) if (!hasKey(source, name)) merged[name] = extra[name]!;
  return merged;
}

/** Whether `source` has header `name` (lower case), in any case. */
function hasKey(source: Record<string, string>, name: string): boolean {
  for (const key in source) if (key.toLowerCase() === name) return true;
  return false;
}

function isPlainObject(value: HeadersInit): value is Record<string, string> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A stream (or async iterable) body can be sent only once. */
export function isOneShot(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (typeof (body as ReadableStream).getReader === 'function' || Symbol.asyncIterator in body);
}
