import { ConfigError, type Session, type SessionStatus, type TokenwardError } from '@tokenward/core';
import { useCallback, useContext, useRef, useSyncExternalStore } from 'react';
import { SessionContext } from './session-provider.js';

/** What a component renders from: changes only when one of these fields does. */
export interface SessionState {
  status: SessionStatus;
  /** A token is held (it may be being refreshed): false while booting, signed out or expired. */
  isAuthenticated: boolean;
  /** Expiry of the current token (epoch ms), if any. */
  expiresAt: number | undefined;
  /** Why the last refresh failed, while it matters (backoff, expired). */
  error: TokenwardError | undefined;
  /** The current JWT's claims, unverified: for display and hiding UI only (see `Session.getClaims`). */
  claims: ReturnType<Session['getClaims']>;
  /** The session itself, for `signIn`, `signOut`, `refresh`. */
  session: Session;
}

/**
 * The session of the nearest `SessionProvider`, as render state. The component re-renders only when
 * `status`, `expiresAt`, `error` or the token's claims change, never per request.
 * @example
 * const { isAuthenticated, claims } = useSession();
 * return isAuthenticated ? <p>Hello {String(claims?.name)}</p> : <SignIn />;
 */
export function useSession(): SessionState {
  const session = useSessionContext('useSession');
  const last = useRef<SessionState | undefined>(undefined);
  const read = useCallback((): SessionState => {
    const { status, expiresAt, error } = session.getSnapshot();
    const claims = session.getClaims();
    const prev = last.current;
    if (prev?.session === session && prev.status === status && prev.expiresAt === expiresAt && prev.error === error && prev.claims === claims) return prev;
    return (last.current = { status, isAuthenticated: expiresAt !== undefined, expiresAt, error, claims, session });
  }, [session]);
  return useSyncExternalStore(session.subscribe, read, read);
}

/** The provider's session, or a clear error naming the hook that needed it. */
export function useSessionContext(hook: string): Session {
  const session = useContext(SessionContext);
  if (!session) throw new ConfigError(`${hook}() needs a <SessionProvider session={...}> above it`);
  return session;
}
