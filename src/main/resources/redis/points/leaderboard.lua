-- Sets a person's leaderboard score to their balance unless a newer profile version already wrote it:
-- the calls after concurrent per-person scripts may arrive out of order.
-- KEYS[1] leaderboard zset  KEYS[2] versions hash (person -> profile version written)
-- ARGV[1] person id  ARGV[2] balance  ARGV[3] profile version
local written = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
if tonumber(ARGV[3]) <= written then
  return 0
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
if tonumber(ARGV[2]) > 0 then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
return 1
