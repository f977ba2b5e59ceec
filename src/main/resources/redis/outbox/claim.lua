-- Claims up to a batch of entries for one worker: entries whose lease expired (their worker crashed
-- or stalled) first, then due entries. Each moves to the in-flight set under a lease; only the lease
-- holder may record an outcome (finish.lua), so two instances never deliver one entry at once.
-- Entry hashes are named from the set members (ARGV[5] .. key); they share the {outbox} slot.
-- A queued entry whose source was cancelled (KEYS[4], e.g. a cancelled campaign) ends as expired instead.
-- KEYS[1] due zset  KEYS[2] in-flight zset  KEYS[3] stats hash  KEYS[4] cancelled sources set
-- ARGV[1] now (epoch ms)  ARGV[2] batch  ARGV[3] lease ms  ARGV[4] lease token  ARGV[5] entry key prefix
-- ARGV[6] retention ms of a finished entry (0 keep)
-- Returns {key, message JSON, attempts, from channel index, deliveries, redelivered 0|1, ...} (stride 6).
-- Feedback (cancelled, retried): count one outcome into the entry's run feedback hash (fields 'fb' key, 'fbl' labels on the entry):
-- counter, counter:detail, and l:<label>:counter per breakdown label. Shared helper: outbox/lib/fbcount.lua.
--! include outbox/lib/fbcount.lua
local now = tonumber(ARGV[1])
local batch = tonumber(ARGV[2])
local leaseUntil = now + tonumber(ARGV[3])
local candidates = {}
for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, batch)) do
  candidates[#candidates + 1] = k
end
if #candidates < batch then
  for _, k in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, batch - #candidates)) do
    candidates[#candidates + 1] = k
  end
end
local out = {}
for _, k in ipairs(candidates) do
  local entry = ARGV[5] .. k
  local status = redis.call('HGET', entry, 'status')
  if status == 'queued' and redis.call('SISMEMBER', KEYS[4], redis.call('HGET', entry, 'source') or '') == 1 then
    redis.call('ZREM', KEYS[1], k)
    redis.call('HSET', entry, 'status', 'expired', 'lastError', 'source cancelled', 'updatedAt', now, 'doneAt', now)
    redis.call('HINCRBY', KEYS[3], 'status:queued', -1)
    redis.call('HINCRBY', KEYS[3], 'status:expired', 1)
    local fb = redis.call('HMGET', entry, 'fb', 'fbl')
    fbcount(fb[1], fb[2], 'cancelled', nil)
    if tonumber(ARGV[6]) > 0 then
      redis.call('PEXPIRE', entry, ARGV[6])
    end
  elseif status == 'queued' or status == 'sending' then
    redis.call('ZREM', KEYS[1], k)
    redis.call('ZADD', KEYS[2], leaseUntil, k)
    redis.call('HSET', entry, 'status', 'sending', 'lease', ARGV[4], 'leaseUntil', leaseUntil, 'updatedAt', now)
    local redelivered = 0
    if status == 'queued' then
      redis.call('HINCRBY', KEYS[3], 'status:queued', -1)
      redis.call('HINCRBY', KEYS[3], 'status:sending', 1)
    else
      redelivered = 1
      redis.call('HINCRBY', KEYS[3], 'redelivered', 1)
      local fb = redis.call('HMGET', entry, 'fb', 'fbl')
      fbcount(fb[1], fb[2], 'retried', nil)
    end
    local deliveries = redis.call('HINCRBY', entry, 'deliveries', 1)
    local f = redis.call('HMGET', entry, 'msg', 'attempts', 'from')
    out[#out + 1] = k
    out[#out + 1] = f[1] or ''
    out[#out + 1] = f[2] or '0'
    out[#out + 1] = f[3] or '0'
    out[#out + 1] = tostring(deliveries)
    out[#out + 1] = tostring(redelivered)
  else
    -- a member without a live entry (finished, or removed after its retention): drop it
    redis.call('ZREM', KEYS[1], k)
    redis.call('ZREM', KEYS[2], k)
  end
end
return out
