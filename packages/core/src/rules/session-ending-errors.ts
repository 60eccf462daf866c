/** OAuth error codes that no retry can fix: the grant or the client configuration must change. */
export const SESSION_ENDING_ERRORS: ReadonlySet<string> = /* @__PURE__ */ new Set(
  'invalid_grant invalid_client unauthorized_client invalid_scope invalid_target invalid_request unsupported_grant_type access_denied'.split(' '),
);

/** OAuth error codes that say "later", whatever the status. */
export const TRANSIENT_ERRORS: ReadonlySet<string> = /* @__PURE__ */ new Set(['temporarily_unavailable', 'slow_down', 'server_error']);

/**
 * Why a refused refresh ended the session, as `session-expired` reports it in every tab: the OAuth
 * error, else the HTTP status, else `refused`.
 * @example
 * expiryReason({ oauthError: 'invalid_grant' }); // 'invalid_grant'
 */
export function expiryReason(failure: { oauthError?: string | undefined; status?: number | undefined } | undefined): string {
  return failure?.oauthError ?? (failure?.status ? `http_${failure.status}` : 'refused');
}
