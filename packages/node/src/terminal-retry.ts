import { RefreshFailedError, isTokenwardError } from '@tokenward/core';
import type { GetTokenOptions, Session, TokenSet } from '@tokenward/core';

/**
 * Wraps a core session for a service: once the token endpoint refused terminally, every caller
 * gets that `RefreshFailedError` itself (which says which `oauthError`), not a generic
 * "not signed in". After `retryAfterMs` the next demand tries again, once, so a fixed server-side
 * misconfiguration heals without a restart while a broken one costs one call per period.
 */
export function withTerminalRetry(inner: Session, retryAfterMs: number, now: () => number): Session {
  let refusedAt = -Infinity;
  inner.on('refresh-failed', ({ terminal }) => {
    if (terminal) refusedAt = now();
  });

  function terminalCause(error: unknown): RefreshFailedError | undefined {
    if (error instanceof RefreshFailedError) return error.kind === 'terminal' ? error : undefined;
    if (!isTokenwardError(error) || (error.code !== 'ERR_NOT_SIGNED_IN' && error.code !== 'ERR_SESSION_EXPIRED')) return undefined;
    const { cause } = error;
    return cause instanceof RefreshFailedError && cause.kind === 'terminal' ? cause : undefined;
  }

  function recover(error: unknown, options: GetTokenOptions | undefined): Promise<TokenSet> {
    const cause = terminalCause(error);
    if (cause === undefined) return Promise.reject(error);
    // `refusedAt` is set by an (asynchronous) listener: until it runs, the refusal is fresh.
    if (refusedAt === -Infinity || now() - refusedAt < retryAfterMs) return Promise.reject(cause);
    refusedAt = now();
    return inner.refresh().then(
      () => inner.getTokenSet(options),
      (retryError: unknown) => Promise.reject(terminalCause(retryError) ?? retryError),
    );
  }

  const getTokenSet = (options?: GetTokenOptions): Promise<TokenSet> =>
    inner.getTokenSet(options).then(undefined, (error: unknown) => recover(error, options));

  return {
    getTokenSet,
    getAccessToken: (options) =>
      inner.getTokenSet(options).then(
        (token) => token.accessToken ?? '',
        (error: unknown) => recover(error, options).then((token) => token.accessToken ?? ''),
      ),
    refresh: () => inner.refresh().then(undefined, (error: unknown) => Promise.reject(terminalCause(error) ?? error)),
    signIn: (tokens) => inner.signIn(tokens),
    signOut: () => inner.signOut(),
    invalidate: (token) => inner.invalidate(token),
    getSnapshot: () => inner.getSnapshot(),
    subscribe: (listener) => inner.subscribe(listener),
    getClaims: () => inner.getClaims(),
    on: (event, listener) => inner.on(event, listener),
    dispose: () => inner.dispose(),
  };
}
