/**
 * The refresh store's upstream lease (see `UpstreamLease` in @tokenward/server): one Lua script
 * each, so a claim is atomic across server instances. Layout: lease:<family id> -> "<holder> <until>".
 * The end is compared with the caller's `now` (the handler's clock); the key's own expiry only
 * cleans up after a holder that never released.
 */

/** ARGV: prefix, family id, holder, until, now. 1 if `holder` now holds the lease. */
export const CLAIM_UPSTREAM = `
local key = ARGV[1] .. 'lease:' .. ARGV[2]
local lease = redis.call('GET', key)
if lease then
  local holder, ends = string.match(lease, '^(.*) (%d+)$')
  if holder ~= ARGV[3] and tonumber(ends) > tonumber(ARGV[5]) then return 0 end
end
redis.call('SET', key, ARGV[3] .. ' ' .. ARGV[4], 'PX', math.max(1, tonumber(ARGV[4]) - tonumber(ARGV[5])))
return 1`;

/** ARGV: prefix, family id, holder. 1 if `holder`'s lease was released. */
export const RELEASE_UPSTREAM = `
local key = ARGV[1] .. 'lease:' .. ARGV[2]
local lease = redis.call('GET', key)
if lease and string.match(lease, '^(.*) %d+$') == ARGV[3] then
  redis.call('DEL', key)
  return 1
end
return 0`;
