import { ConfigError, type GetTokenOptions, type Session, type TokenSet } from '@tokenward/core';
import type { DpopProver } from '@tokenward/core/dpop';
import { REQUEST_ERROR, TOKEN_READERS, bearer, createOriginCheck, isOneShot, wantsDpopNonce } from '@tokenward/core/internal';
import { StableController } from './stable-controller.js';

// undici's dispatch API (undici 7 and 8), as far as the interceptor uses it. Declared here so that
// @tokenward/node compiles without undici installed; undici's own types fit these.
export interface DispatchController {
  abort(reason: Error): void;
  pause(): void;
  resume(): void;
  readonly aborted: boolean;
  readonly paused: boolean;
  readonly reason: Error | null;
}
export interface DispatchHandler {
  onRequestStart?(controller: DispatchController, context: unknown): void;
  onRequestUpgrade?(controller: DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, socket: unknown): void;
  onResponseStart?(controller: DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void;
  onResponseData?(controller: DispatchController, chunk: Buffer): void;
  onResponseEnd?(controller: DispatchController, trailers: Record<string, string | string[] | undefined>): void;
  onResponseError?(controller: DispatchController, error: Error): void;
}
export interface DispatchOptions {
  origin?: string | URL;
  path: string;
  method: string;
  headers?: unknown;
  body?: unknown;
}
type Dispatch = (options: DispatchOptions, handler: DispatchHandler) => boolean;
/** Any `dispatch(options, handler)`: undici's own types (of whichever version) are kept as they are. */
export type AnyDispatch = (options: never, handler: never) => boolean;

export interface AuthInterceptorOptions {
  /** Origins that receive the token (required). */
  origins: readonly string[];
  /** Retry once with a fresh token when an allowed origin answers 401 refusing the token. Default true. */
  retryUnauthorized?: boolean;
  /**
   * Signs a fresh DPoP proof (RFC 9449) for each request whose token is DPoP-bound, and retries a
   * 401 `use_dpop_nonce` once with the server's nonce (kept per origin). Without it, a DPoP-bound
   * token is not sent: the request fails with `ERR_CONFIG`.
   */
  dpop?: DpopProver;
}

/** The DPoP state of one interceptor: its prover and the latest nonce of each origin. */
interface DpopState {
  readonly prover: DpopProver;
  readonly nonces: Map<string, string>;
}

/**
 * An undici interceptor that gives every request to an allowed origin a valid token, with the
 * guarantees of `createAuthFetch`: decided on the origin the request is dispatched to, one refresh
 * however many requests meet a 401, a late 401 for a replaced token refreshes nothing, one retry
 * when the body can be sent again (strings, buffers, no body; not streams, nor `fetch` bodies). A
 * 401 whose challenge blames the request (an `error` other than `invalid_token`) refreshes nothing.
 * @example
 * const dispatcher = new Agent().compose(createAuthInterceptor(session, { origins: ['https://api.example.com'] }));
 * const { body } = await request('https://api.example.com/me', { dispatcher });
 */
export function createAuthInterceptor(session: Session, options: AuthInterceptorOptions): <D extends AnyDispatch>(dispatch: D) => D {
  const targetOf = createOriginCheck(options?.origins);
  const retry = options?.retryUnauthorized !== false;
  const dpop: DpopState | undefined = options?.dpop ? { prover: options.dpop, nonces: new Map() } : undefined;
  // A held token is dispatched at once, without a promise in between, as createAuthFetch does.
  const readToken = TOKEN_READERS.get(session) ?? ((options?: GetTokenOptions) => Promise.resolve(session.getTokenSet(options)));
  return <D extends AnyDispatch>(next: D): D => {
    const dispatch = next as unknown as Dispatch;
    return function authDispatch(opts: DispatchOptions, handler: DispatchHandler): boolean {
      // Without an origin (a bare Client or Pool on undici 7) nothing says where it goes: no token.
      // The origin as undici will parse it goes through the same check as createAuthFetch's URLs.
      if (opts.origin === undefined || targetOf(String(opts.origin)) === undefined) return dispatch(opts, handler);
      const auth = new AuthHandler(dispatch, opts, handler, session, retry, !isOneShot(opts.body) && !isIterator(opts.body), dpop);
      const held = readToken();
      if (held instanceof Promise) held.then((token) => auth.send(token), (error: Error) => auth.fail(error));
      else auth.send(held);
      return true;
    } as unknown as D;
  };
}

/** The origin undici connects to; an unparsable one gets no token (undici refuses it anyway). */
function originOf(origin: string | URL): string {
  try {
    return new URL(String(origin)).origin;
  } catch {
    return 'null';
  }
}

/** 401 bodies held back for a retry up to this size; a larger one goes to the caller as it is. */
const MAX_HELD = 64 * 1024;

/** One request through its attempts: the downstream handler sees one request start and one response. */
class AuthHandler implements DispatchHandler {
  private readonly controller = new StableController();
  private token: TokenSet | undefined;
  private started = false;
  private retried = false;
  private nonceRetried = false;
  /** Whether the attempt in flight carries a DPoP proof. */
  private proved = false;
  /** A 401 kept while its retry is decided, for the caller if it cannot happen; `nonce` retries with the same token. */
  private held:
    | { statusCode: number; headers: Record<string, string | string[] | undefined>; statusMessage?: string; chunks: Buffer[]; size: number; nonce: boolean }
    | undefined;

  constructor(
    private readonly dispatch: Dispatch,
    private readonly opts: DispatchOptions,
    private readonly handler: DispatchHandler,
    private readonly session: Session,
    private readonly retry: boolean,
    private readonly replayable: boolean,
    private readonly dpop: DpopState | undefined,
  ) {}

  send(token: TokenSet): void {
    if (this.controller.aborted) return this.fail(this.controller.reason!);
    this.token = token;
    this.proved = /^dpop$/i.test(token.tokenType);
    if (!this.proved) return this.dispatchWith(bearer(token));
    if (!this.dpop) return this.fail(new ConfigError('The token is DPoP-bound: pass dpop to createAuthInterceptor to send it with a proof'));
    const origin = originOf(this.opts.origin!);
    this.dpop.prover.proof(this.opts.method, origin + this.opts.path, { accessToken: token.accessToken, nonce: this.dpop.nonces.get(origin) }).then(
      (proof) => this.dispatchWith({ ...bearer(token), dpop: proof }),
      (error: Error) => this.fail(error),
    );
  }

  private dispatchWith(headers: Record<string, string>): void {
    if (this.controller.aborted) return this.fail(this.controller.reason!);
    try {
      this.dispatch({ ...this.opts, headers: withHeaders(this.opts.headers, headers) }, this);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  fail(error: Error): void {
    this.handler.onResponseError?.(this.controller, error);
  }

  onRequestStart(controller: DispatchController, context: unknown): void {
    this.controller.target = controller;
    if (this.started) return;
    this.started = true;
    this.handler.onRequestStart?.(this.controller, context);
  }

  onRequestUpgrade(_controller: DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, socket: unknown): void {
    this.handler.onRequestUpgrade?.(this.controller, statusCode, headers, socket);
  }

  onResponseStart(_controller: DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>, statusMessage?: string): void {
    const nonce = this.dpop && String(headers['dpop-nonce'] ?? '');
    if (nonce) this.dpop!.nonces.set(originOf(this.opts.origin!), nonce);
    if (statusCode === 401) {
      const challenge = String(headers['www-authenticate'] ?? '');
      if (nonce && this.proved && !this.nonceRetried && this.replayable && wantsDpopNonce(challenge)) {
        this.nonceRetried = true;
        return void (this.held = { statusCode, headers, statusMessage, chunks: [], size: 0, nonce: true });
      }
      // A 401 that blames the request, not the token (RFC 6750 §3.1), is not worth a refresh.
      if (this.retry && !this.retried && !REQUEST_ERROR.test(challenge)) {
        // Forces a refresh only if this token is still current: a late 401 for a replaced one just retries.
        this.session.invalidate(this.token!);
        this.retried = true;
        if (this.replayable) return void (this.held = { statusCode, headers, statusMessage, chunks: [], size: 0, nonce: false });
      }
    }
    this.handler.onResponseStart?.(this.controller, statusCode, headers, statusMessage);
  }

  onResponseData(_controller: DispatchController, chunk: Buffer): void {
    const held = this.held;
    if (!held) return this.handler.onResponseData?.(this.controller, chunk);
    held.chunks.push(chunk);
    held.size += chunk.length;
    // Too large to keep: the caller gets this 401 after all (the session refreshes for the next request).
    if (held.size > MAX_HELD) this.release();
  }

  onResponseEnd(_controller: DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    if (!this.held) return this.handler.onResponseEnd?.(this.controller, trailers);
    if (this.held.nonce) {
      // Same token, new proof: it carries the nonce just kept.
      this.held = undefined;
      return this.send(this.token!);
    }
    this.session.getTokenSet().then(
      (token) => {
        this.held = undefined;
        this.send(token);
      },
      () => {
        this.release();
        this.handler.onResponseEnd?.(this.controller, trailers);
      },
    );
  }

  onResponseError(_controller: DispatchController, error: Error): void {
    this.held = undefined;
    this.fail(error);
  }

  /** Hands the held 401 (status, headers, body so far) to the caller. */
  private release(): void {
    const held = this.held!;
    this.held = undefined;
    this.handler.onResponseStart?.(this.controller, held.statusCode, held.headers, held.statusMessage);
    for (const chunk of held.chunks) this.handler.onResponseData?.(this.controller, chunk);
  }
}

/** `headers` in any form undici takes, plus `extra`; a header the caller set itself wins. */
function withHeaders(headers: unknown, extra: Record<string, string>): unknown {
  if (headers == null) return extra;
  // undici takes a flat [name, value, ...] array, an iterable of pairs, or an object.
  const flat: unknown[] = Array.isArray(headers) ? headers : isIterable(headers) ? [...headers].flat() : Object.entries(headers).flat();
  const names = new Set(flat.filter((_, i) => i % 2 === 0).map((name) => String(name).toLowerCase()));
  const added = Object.entries(extra).filter(([name]) => !names.has(name));
  return added.length ? [...flat, ...added.flat()] : headers;
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** A generator body (sync or async) is consumed by sending it. */
function isIterator(body: unknown): boolean {
  return typeof (body as Iterator<unknown> | undefined)?.next === 'function';
}
