export { SessionProvider } from './session-provider.js';
export type { SessionProviderProps } from './session-provider.js';
export { useSession } from './use-session.js';
export type { SessionState } from './use-session.js';
export { useAuthFetch } from './use-auth-fetch.js';
