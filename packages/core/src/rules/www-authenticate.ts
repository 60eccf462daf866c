// What a 401's `WWW-Authenticate` challenge says, per RFC 6750 §3.1 and RFC 9449 §7.1 and §9.

/**
 * Matches a 401 challenge that blames the request, not the token: an `error` other than
 * `invalid_token` (`invalid_request`, `invalid_dpop_proof`, `use_dpop_nonce`, ...). A new token would
 * not fix it, so it is not worth a refresh; no `error` (no token sent) or `invalid_token` is.
 * @example
 * REQUEST_ERROR.test('DPoP error="invalid_dpop_proof"'); // true
 * REQUEST_ERROR.test('Bearer error="invalid_token"'); // false
 */
export const REQUEST_ERROR = /\berror=(?!"?invalid_token\b)/i;

/**
 * Whether a 401 challenge asks for a (new) DPoP nonce: `DPoP error="use_dpop_nonce"`.
 * @example
 * wantsDpopNonce('DPoP algs="ES256", error="use_dpop_nonce"'); // true
 */
export function wantsDpopNonce(challenge: string | null | undefined): boolean {
  return /(?:^|[\s,])dpop\s(?:[^,]*,)*?\s*error\s*=\s*"?use_dpop_nonce\b/i.test(challenge ?? '');
}
