-- Takes one of a customer's add_msg_template receipts: at most ARGV[3] per rolling period, one per
-- outbox key (a retried key keeps its receipt).
-- KEYS[1] receipts zset (outbox key -> time)  ARGV[1] now (epoch ms)  ARGV[2] period ms  ARGV[3] limit
-- ARGV[4] outbox key
-- Returns 1 reserved (or already), 0 over the limit.
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then
  return 1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
