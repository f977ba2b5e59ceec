-- Called right before a WeCom send: confirms the caller still holds the entry's lease, renews it for
-- a full lease period (so the call cannot outlive it) and notes the channel being tried.
-- KEYS[1] entry hash  KEYS[2] in-flight zset
-- ARGV[1] key  ARGV[2] lease token  ARGV[3] now (epoch ms)  ARGV[4] lease ms  ARGV[5] channel
-- Returns 1 when the lease is held (and renewed), 0 when another worker has taken the entry over.
if redis.call('HGET', KEYS[1], 'status') ~= 'sending' or redis.call('HGET', KEYS[1], 'lease') ~= ARGV[2] then
  return 0
end
local leaseUntil = tonumber(ARGV[3]) + tonumber(ARGV[4])
redis.call('HSET', KEYS[1], 'leaseUntil', leaseUntil, 'trying', ARGV[5], 'updatedAt', ARGV[3])
redis.call('ZADD', KEYS[2], leaseUntil, ARGV[1])
return 1
