import { createAuthFetch, type AuthFetchOptions } from '@tokenward/core';
import { useMemo } from 'react';
import { useSessionContext } from './use-session.js';

/**
 * `fetch` bound to the provider's session: the token only to allowed origins, one refresh however
 * many requests meet a 401, one retry. A browser session's own `fetch` (CSRF header, cookie mode) is
 * used as it is when no options are given. The function stays the same across renders until the
 * session or the origins change, so it can sit in an effect's dependencies.
 * @example
 * const authFetch = useAuthFetch();
 * useEffect(() => void authFetch('/api/me').then((r) => r.json()).then(setMe), [authFetch]);
 */
export function useAuthFetch(options?: AuthFetchOptions): typeof fetch {
  const session = useSessionContext('useAuthFetch');
  const origins = options?.origins?.join(' ');
  return useMemo(() => {
    const own = (session as { fetch?: typeof fetch }).fetch;
    return !options && typeof own === 'function' ? own : createAuthFetch(session, options);
    // Options are read again when the session or the origins change, not on every render.
  }, [session, origins]);
}
