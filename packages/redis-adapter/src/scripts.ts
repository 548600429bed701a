/**
 * Lua scripts run atomically in Redis. Every key they touch is passed in KEYS, and every directory key carries the
 * same hash tag (`{prefix}`), so they also run on Redis Cluster (one slot). Times come from Redis's own clock
 * (`TIME`), so the nodes' clocks never need to agree.
 */

/**
 * Heartbeat. KEYS: nodes (zset node id → expiry ms), info (hash node id → JSON). ARGV: node id, TTL ms, info JSON.
 * Returns `{ wasAlive, deadIds }`: wasAlive 0 when this node had expired or been removed (it must re-register),
 * deadIds up to 16 nodes whose heartbeat expired.
 */
export const heartbeatScript = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
local alive = 0
if score and tonumber(score) >= now then alive = 1 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 16)
return {alive, dead}
`

/**
 * Remove a node and everything it registered. KEYS: nodes, info, sessions (hash session id → node id), the node's
 * session set, the node's group hash, then the hash of every group it had members in. ARGV: node id, `'force'` to
 * remove it even if alive (a node leaving by itself). Without force, a node whose heartbeat is current is left
 * alone (returns 0), so a slow node that comes back is never half-removed.
 */
export const removeNodeScript = `
if ARGV[2] ~= 'force' then
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
  if score and tonumber(score) >= now then return 0 end
end
local ids = redis.call('SMEMBERS', KEYS[4])
for _, id in ipairs(ids) do
  if redis.call('HGET', KEYS[3], id) == ARGV[1] then redis.call('HDEL', KEYS[3], id) end
end
for i = 6, #KEYS do redis.call('HDEL', KEYS[i], ARGV[1]) end
redis.call('DEL', KEYS[4], KEYS[5])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`

/**
 * Unregister sessions of this node. KEYS: sessions hash, the node's session set. ARGV: node id, session ids...
 * A directory entry is removed only while it still names this node (a UDP session id may have moved to another).
 */
export const unregisterScript = `
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
  redis.call('SREM', KEYS[2], ARGV[i])
end
return 1
`
