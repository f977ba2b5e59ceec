-- Records a batch extension once per id and lists it as running (the expiry job resumes it if the
-- instance running it dies). KEYS[1] batch hash  KEYS[2] running batches (zset id -> created millis)
-- ARGV[1] id  ARGV[2] now  ARGV[3..] field/value pairs. Returns 1 when created, 0 when it existed.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
