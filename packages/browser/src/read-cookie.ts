import { ACCESS_TOKEN_PATTERN } from '@tokenward/core/internal';

/** A readable cookie's raw value, if the page's jar has it (the CSRF cookie, the session hint). */
export function readCookie(name: string): string | undefined {
  const jar = (globalThis as { document?: { cookie?: unknown } }).document?.cookie;
  if (typeof jar !== 'string') return undefined;
  // Raw, as the server compares it; a value no header may carry (the core's rule for a token in a
  // header) is not a token the server set.
  for (const pair of jar.split(/; */)) if (pair.startsWith(`${name}=`)) {
    const value = pair.slice(name.length + 1);
    return ACCESS_TOKEN_PATTERN.test(value) ? value : undefined;
  }
  return undefined;
}

/**
 * The names @tokenward/server gives a readable cookie on Path=/: `__Host-` prefixed where cookies
 * are Secure, bare on plain-http localhost. Looked up in that order.
 */
export function serverCookieNames(name: string): string[] {
  return [`__Host-${name}`, name];
}
