import { createHash, timingSafeEqual } from 'node:crypto';
import type { AuthenticatedUser } from '@tokenward/server';
import type { AuthUser } from './options.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * The demo's `authenticate`: JSON `{ username, password }` against the demo accounts. Every
 * account is compared in constant time, so timing reveals neither names nor passwords. A real
 * app checks a password hash (scrypt, argon2), its existing session, or its SSO here.
 */
export function demoAccounts(users: readonly AuthUser[]): (request: Request) => Promise<AuthenticatedUser | undefined> {
  return async (request) => {
    const body = (await request.json()) as { username?: unknown; password?: unknown };
    if (typeof body.username !== 'string' || typeof body.password !== 'string') return undefined;
    const [name, password] = [digest(body.username), digest(body.password)];
    let found: AuthUser | undefined;
    for (const user of users) {
      // Both compared every time (no short circuit), for every account.
      const match = Number(timingSafeEqual(digest(user.username), name)) & Number(timingSafeEqual(digest(user.password), password));
      if (match === 1) found ??= user;
    }
    return found && { sub: found.username, claims: { role: found.role } };
  };
}
