/**
 * The refresh store's Lua scripts. Each changes a family and its indexes in one step inside
 * Redis: that is what makes a rotation atomic across server instances. Keys are built inside the
 * scripts from the prefix (ARGV[1]), so the store needs one Redis, not a Cluster.
 * Layout: family:<id> (the record as JSON), token:<hash> (-> id), hashes:<id> (set),
 * user:<sub> (set of ids), expiry (zset id -> expiresAt), sealed (zset id -> sealedUntil).
 */

const REMOVE = `
local function remove(p, id)
  local json = redis.call('GET', p .. 'family:' .. id)
  if not json then return 0 end
  local family = cjson.decode(json)
  for _, hash in ipairs(redis.call('SMEMBERS', p .. 'hashes:' .. id)) do redis.call('DEL', p .. 'token:' .. hash) end
  redis.call('DEL', p .. 'hashes:' .. id, p .. 'family:' .. id)
  redis.call('SREM', p .. 'user:' .. family.sub, id)
  redis.call('ZREM', p .. 'expiry', id)
  redis.call('ZREM', p .. 'sealed', id)
  return 1
end
`;

const INDEX = `
local function index(p, json)
  local family = cjson.decode(json)
  redis.call('SET', p .. 'family:' .. family.id, json)
  if redis.call('SET', p .. 'token:' .. family.current, family.id, 'NX') then
    redis.call('SADD', p .. 'hashes:' .. family.id, family.current)
  end
  redis.call('SADD', p .. 'user:' .. family.sub, family.id)
  redis.call('ZADD', p .. 'expiry', family.expiresAt, family.id)
  if family.sealedUntil then redis.call('ZADD', p .. 'sealed', family.sealedUntil, family.id) else redis.call('ZREM', p .. 'sealed', family.id) end
end
`;

/** ARGV: prefix, record JSON. 1, or 0 if the family or its token exists. */
export const CREATE = `${INDEX}
local p, family = ARGV[1], cjson.decode(ARGV[2])
if redis.call('EXISTS', p .. 'family:' .. family.id, p .. 'token:' .. family.current) > 0 then return 0 end
index(p, ARGV[2])
return 1`;

/** ARGV: prefix, hash. The record JSON of the family that ever had `hash`, or nil. */
export const FIND = `
local id = redis.call('GET', ARGV[1] .. 'token:' .. ARGV[2])
if not id then return false end
return redis.call('GET', ARGV[1] .. 'family:' .. id)`;

/** ARGV: prefix, next record JSON, expected version. 1 if swapped. */
export const COMPARE_AND_SWAP = `${INDEX}
local p, next = ARGV[1], cjson.decode(ARGV[2])
local json = redis.call('GET', p .. 'family:' .. next.id)
if not json or cjson.decode(json).version ~= tonumber(ARGV[3]) then return 0 end
index(p, ARGV[2])
return 1`;

/** ARGV: prefix, id. 1 if the family existed. */
export const REVOKE_FAMILY = `${REMOVE}
return remove(ARGV[1], ARGV[2])`;

/** ARGV: prefix, sub. How many families were revoked. */
export const REVOKE_USER = `${REMOVE}
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'user:' .. ARGV[2])) do count = count + remove(ARGV[1], id) end
redis.call('DEL', ARGV[1] .. 'user:' .. ARGV[2])
return count`;

/** ARGV: prefix, now. Removes expired families; returns how many, then the ids whose sealed token is due. */
export const PRUNE = `${REMOVE}
local p, count = ARGV[1], 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'expiry', '-inf', ARGV[2])) do count = count + remove(p, id) end
return { count, redis.call('ZRANGEBYSCORE', p .. 'sealed', '-inf', ARGV[2]) }`;

/** ARGV: prefix, id, the record JSON as read, the same without its sealed token. 1 if replaced. */
export const UNSEAL = `
if redis.call('GET', ARGV[1] .. 'family:' .. ARGV[2]) ~= ARGV[3] then return 0 end
redis.call('SET', ARGV[1] .. 'family:' .. ARGV[2], ARGV[4])
redis.call('ZREM', ARGV[1] .. 'sealed', ARGV[2])
return 1`;
