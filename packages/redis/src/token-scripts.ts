/**
 * The token cache's Lua scripts: each runs as one step inside Redis, so checking the lock's
 * fencing value and acting on it cannot interleave with another process.
 */

/** KEYS: lock. ARGV: fence. Deletes the lock only if it still holds our fence. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** KEYS: lock. ARGV: fence, lease ms. Extends our lease while the token request runs. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/**
 * KEYS: token, lock. ARGV: fence, sealed token, ttl ms. Writes the token and releases the lock,
 * unless another process holds the lock now (our lease ran out and it took over: its token wins).
 */
export const PUBLISH = `
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if holder then redis.call('DEL', KEYS[2]) end
return 1`;
