import { RefreshFailedError, isTokenwardError } from '@tokenward/core';
import { SESSION_ENDING_ERRORS, TRANSIENT_ERRORS, parseRetryAfter } from '@tokenward/core/internal';
import * as oauth from 'oauth4webapi';
import { BodyTooLargeError } from './bound-response.js';

const transientStatuses = new Set([408, 425, 429]);

interface Failure {
  status?: number;
  oauthError?: string;
  response?: Response;
}

/**
 * Turns whatever a discovery or token request threw into a `RefreshFailedError` that says whether
 * retrying can help (`kind`), and how: `status`, `oauthError`, `retryAfterMs`. The message names
 * the OAuth error code, never its `error_description`: a server may echo the request (secrets
 * included) there.
 */
export function toRefreshError(error: unknown, what = 'Token request'): RefreshFailedError {
  if (error instanceof RefreshFailedError) return error;
  // oauth4webapi wraps a failed body read as the cause of a parse error.
  const tooLarge = error instanceof BodyTooLargeError ? error : (error as { cause?: unknown } | null)?.cause;
  if (tooLarge instanceof BodyTooLargeError) {
    return new RefreshFailedError(`${what} failed: ${tooLarge.message}`, { kind: 'transient', status: tooLarge.status }, { cause: bare(tooLarge) });
  }
  if (isTokenwardError(error)) {
    return new RefreshFailedError(`${what} failed: ${error.message}`, { kind: 'terminal' }, { cause: error });
  }
  if (isAbort(error)) {
    return new RefreshFailedError(`${what} was aborted or timed out`, { kind: 'transient' }, { cause: bare(error) });
  }
  const failure = describe(error);
  if (failure === undefined) {
    // fetch rejects with a TypeError on network failure; oauth4webapi throws coded TypeErrors on bad input.
    const coded = (error as { code?: unknown } | null)?.code;
    const terminal = error instanceof oauth.UnsupportedOperationError || (typeof coded === 'string' && coded.startsWith('ERR_INVALID_ARG'));
    const detail = error instanceof Error ? error.message : String(error);
    return new RefreshFailedError(`${what} failed: ${detail}`, { kind: terminal ? 'terminal' : 'transient' }, { cause: bare(error) });
  }
  const { status, oauthError, response } = failure;
  const kind = classify(status, oauthError);
  return new RefreshFailedError(
    `${what} failed: ${oauthError ?? `HTTP ${status ?? '?'}`}`,
    { status, oauthError, retryAfterMs: retryAfter(response), kind },
    { cause: bare(error) },
  );
}

/**
 * The error's name, message, code and stack, without what it carries: oauth4webapi attaches the
 * response (and its parsed body, which can hold a live token) as `cause` and `response`.
 */
function bare(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('A non-Error value was thrown');
  const copy = Object.assign(new Error(error.message), { name: error.name, stack: error.stack });
  const { code } = error as { code?: unknown };
  return typeof code === 'string' ? Object.assign(copy, { code }) : copy;
}

/** Transient unless the status or the OAuth error says a retry cannot help. */
export function classify(status: number | undefined, oauthError: string | undefined): 'transient' | 'terminal' {
  if (oauthError !== undefined) {
    if (TRANSIENT_ERRORS.has(oauthError)) return 'transient';
    if (SESSION_ENDING_ERRORS.has(oauthError)) return 'terminal';
  }
  if (status === undefined || status >= 500 || transientStatuses.has(status)) return 'transient';
  return status >= 400 ? 'terminal' : 'transient';
}

/** `Retry-After` in ms: delay-seconds, or an HTTP date read against the response's own `Date`. */
export function retryAfter(response: Response | undefined): number | undefined {
  return parseRetryAfter(response?.headers.get('retry-after'), response?.headers.get('date'), Date.now());
}

function describe(error: unknown): Failure | undefined {
  if (error instanceof oauth.ResponseBodyError) {
    return { status: error.status, oauthError: error.error, response: error.response };
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const parameters = error.cause.find((challenge) => challenge.parameters.error)?.parameters;
    return { status: error.status, oauthError: parameters?.error, response: error.response };
  }
  if (error instanceof oauth.OperationProcessingError && error.cause instanceof Response) {
    return { status: error.cause.status, response: error.cause };
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return name === 'AbortError' || name === 'TimeoutError';
}
