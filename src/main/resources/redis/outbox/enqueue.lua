-- Records an outbox entry once per key and schedules it. A known key changes nothing.
-- KEYS[1] entry hash  KEYS[2] due zset  KEYS[3] stats hash
-- ARGV[1] key  ARGV[2] person id ('' for none)  ARGV[3] message JSON  ARGV[4] now (epoch ms)
-- ARGV[5] priority  ARGV[6] deadline (epoch ms, '' for none)  ARGV[7] source
-- Returns {1, 'queued'} when recorded, {0, current status} when the key was already known.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'status') or 'unknown'}
end
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'person', ARGV[2], 'msg', ARGV[3], 'status', 'queued',
  'attempts', 0, 'deliveries', 0, 'from', 0, 'createdAt', ARGV[4], 'updatedAt', ARGV[4], 'dueAt', ARGV[4],
  'priority', ARGV[5], 'deadline', ARGV[6], 'source', ARGV[7])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'status:queued', 1)
return {1, 'queued'}
