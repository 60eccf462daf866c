import type { AccessClaims, Requirement } from './create-token-verifier.js';

function forbidden(error: string, scope?: string): { error: string; challenge: string } {
  return { error, challenge: `Bearer error="insufficient_scope"${scope ? `, scope="${scope}"` : ''}` };
}

/** The token's roles: a `roles` array, plus a single `role` string. */
function rolesOf(claims: AccessClaims): string[] {
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
  return typeof claims.role === 'string' ? [...roles, claims.role] : roles;
}

/** The token's scopes: RFC 9068 `scope` (space-separated), or an `scp` array. */
function scopesOf(claims: AccessClaims): string[] {
  if (typeof claims.scope === 'string') return claims.scope.split(' ').filter(Boolean);
  return Array.isArray(claims.scp) ? claims.scp.filter((scope): scope is string => typeof scope === 'string') : [];
}

/**
 * Passes when the token has at least one of `roles` (claim `roles`, or `role`); otherwise
 * `403 { error: 'insufficient_role' }` with `WWW-Authenticate: Bearer error="insufficient_scope"`.
 *
 * @example
 * const result = await verify(request, requireRoles('admin', 'owner'));
 */
export function requireRoles(...roles: string[]): Requirement {
  return (claims) => (rolesOf(claims).some((role) => roles.includes(role)) ? undefined : forbidden('insufficient_role'));
}

/**
 * Passes when the token has every one of `scopes` (claim `scope`, or `scp`); otherwise
 * `403 { error: 'insufficient_scope' }` with `WWW-Authenticate: Bearer error="insufficient_scope", scope="..."`.
 *
 * @example
 * const result = await verify(request, requireScopes('invoices:read'));
 */
export function requireScopes(...scopes: string[]): Requirement {
  return (claims) => {
    const granted = scopesOf(claims);
    return scopes.every((scope) => granted.includes(scope)) ? undefined : forbidden('insufficient_scope', scopes.join(' '));
  };
}
