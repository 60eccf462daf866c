import type { Session } from '@tokenward/core';
import { createContext, createElement, type ReactNode } from 'react';

/** The session the hooks below a `SessionProvider` use. */
export const SessionContext = createContext<Session | undefined>(undefined);

export interface SessionProviderProps {
  /** A core session or a browser session; the app owns it (the provider never disposes it). */
  session: Session;
  children?: ReactNode;
}

/**
 * Makes `session` available to `useSession()` and `useAuthFetch()` below it.
 * @example
 * createRoot(root).render(<SessionProvider session={session}><App /></SessionProvider>);
 */
export function SessionProvider({ session, children }: SessionProviderProps): ReactNode {
  return createElement(SessionContext.Provider, { value: session }, children);
}
