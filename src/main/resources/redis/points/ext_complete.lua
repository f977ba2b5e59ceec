-- Marks a batch extension completed, if this holder still holds its lease.
-- KEYS[1] batch hash  KEYS[2] running batches  KEYS[3] lease  ARGV[1] id  ARGV[2] now  ARGV[3] holder token
if redis.call('GET', KEYS[3]) ~= ARGV[3] then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'completed', 'completedAt', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[3])
return 1
