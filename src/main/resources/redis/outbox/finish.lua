-- Records the outcome of one delivery, only for the lease holder: the entry leaves the in-flight set
-- and is either queued again (deferred or retried, at ARGV[6]) or ends as sent, dead or expired.
-- KEYS[1] entry hash  KEYS[2] due zset  KEYS[3] in-flight zset  KEYS[4] stats hash
-- ARGV[1] key  ARGV[2] lease token  ARGV[3] now (epoch ms)  ARGV[4] outcome: queued|sent|dead|expired
-- ARGV[5] channel ('' none)  ARGV[6] due at (epoch ms, for queued)  ARGV[7] next channel index (queued)
-- ARGV[8] attempts to add  ARGV[9] last error ('' keeps it)  ARGV[10] retention ms of a finished entry (0 keep)
-- ARGV[11] reason tag for the feedback counters ('' none): deferred:<reason>, failed:<reason>, expired:<reason>
-- Feedback (an entry with 'fb'): queued counts deferred, sent counts sent and sent:<channel>, dead counts failed,
-- expired counts expired. Only the lease holder gets here, so a replayed finish counts nothing.
-- Returns 1 when recorded, 0 when the caller no longer holds the lease (nothing changed).
-- Feedback: count one outcome into the entry's run feedback hash (fields 'fb' key, 'fbl' labels on the entry):
-- counter, counter:detail, and l:<label>:counter per breakdown label. Shared helper: outbox/lib/fbcount.lua.
--! include outbox/lib/fbcount.lua
if redis.call('HGET', KEYS[1], 'status') ~= 'sending' or redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then
  return 0
end
local outcome = ARGV[4]
local fb = redis.call('HMGET', KEYS[1], 'fb', 'fbl')
local reason = ARGV[11] or ''
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
  fbcount(fb[1], fb[2], 'deferred', reason)
  return 1
end
redis.call('HSET', KEYS[1], 'doneAt', ARGV[3])
redis.call('HINCRBY', KEYS[4], 'status:' .. outcome, 1)
if outcome == 'sent' then
  fbcount(fb[1], fb[2], 'sent', ARGV[5])
elseif outcome == 'dead' then
  fbcount(fb[1], fb[2], 'failed', reason)
else
  fbcount(fb[1], fb[2], outcome, reason)
end
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
