export { createAuthServer } from './create-auth-server.js';
export { listen } from './listen.js';
export type { AuthServer } from './create-auth-server.js';
export type { ListenOptions, ListeningServer } from './listen.js';
export type { AuthServerOptions, AuthUser, ExtraRoute } from './options.js';
export type { AuthServerStats } from './stats.js';
