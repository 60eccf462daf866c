import { isTokenwardError } from './errors.js';
import { SESSION_ENDING_ERRORS } from './rules/session-ending-errors.js';
import type { FailureKind } from './types.js';

/**
 * The default failure classification: a refresh answered 401, or with a terminal OAuth error, ends
 * the session; everything else (network, timeout, 5xx, 429, unreadable bodies) is retried with backoff.
 */
export function classifyError(error: unknown): FailureKind {
  if (isTokenwardError(error) && error.code === 'ERR_INVALID_TOKEN_RESPONSE') return error.kind ?? 'transient';
  if (!isTokenwardError(error) || error.code !== 'ERR_REFRESH_FAILED') return 'transient';
  const { kind, status, oauthError } = error;
  if (kind) return kind;
  return status === 401 || (oauthError !== undefined && SESSION_ENDING_ERRORS.has(oauthError)) ? 'terminal' : 'transient';
}
