export { createRedisTokenStore } from './create-redis-token-store.js';
export type { RedisTokenStoreOptions } from './create-redis-token-store.js';
export { createRedisRefreshStore } from './create-redis-refresh-store.js';
export type { RedisRefreshStoreOptions } from './create-redis-refresh-store.js';
export { createRedisReplayStore } from './create-redis-replay-store.js';
export type { RedisReplayStoreOptions } from './create-redis-replay-store.js';
export type { RedisSource } from './redis-connection.js';
export type { EncryptionKey } from './token-cipher.js';
