-- Records the outcome of one delivery, only for the lease holder: the entry leaves the in-flight set
-- and is either queued again (deferred or retried, at ARGV[6]) or ends as sent, dead or expired.
-- KEYS[1] entry hash  KEYS[2] due zset  KEYS[3] in-flight zset  KEYS[4] stats hash
-- ARGV[1] key  ARGV[2] lease token  ARGV[3] now (epoch ms)  ARGV[4] outcome: queued|sent|dead|expired
-- ARGV[5] channel ('' none)  ARGV[6] due at (epoch ms, for queued)  ARGV[7] next channel index (queued)
-- ARGV[8] attempts to add  ARGV[9] last error ('' keeps it)  ARGV[10] retention ms of a finished entry (0 keep)
-- Returns 1 when recorded, 0 when the caller no longer holds the lease (nothing changed).
if redis.call('HGET', KEYS[1], 'status') ~= 'sending' or redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then
  return 0
end
local outcome = ARGV[4]
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[1], 'lease', 'leaseUntil', 'trying')
redis.call('HINCRBY', KEYS[4], 'status:sending', -1)
redis.call('HINCRBY', KEYS[1], 'attempts', tonumber(ARGV[8]))
redis.call('HSET', KEYS[1], 'status', outcome, 'updatedAt', ARGV[3])
if ARGV[9] ~= '' then
  redis.call('HSET', KEYS[1], 'lastError', ARGV[9])
end
if outcome == 'queued' then
  redis.call('HSET', KEYS[1], 'dueAt', ARGV[6], 'from', ARGV[7])
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[1])
  redis.call('HINCRBY', KEYS[4], 'status:queued', 1)
  return 1
end
redis.call('HSET', KEYS[1], 'doneAt', ARGV[3])
redis.call('HINCRBY', KEYS[4], 'status:' .. outcome, 1)
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'channel', ARGV[5])
  if outcome == 'sent' then
    redis.call('HINCRBY', KEYS[4], 'channel:' .. ARGV[5], 1)
  end
end
if tonumber(ARGV[10]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[10])
end
return 1
