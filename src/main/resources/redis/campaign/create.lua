-- Stores a new campaign and indexes it, unless the id is taken.
-- KEYS[1] campaign hash  KEYS[2] index (both {campaign})
-- ARGV[1] json  ARGV[2] state  ARGV[3] version  ARGV[4] created millis  ARGV[5] id
-- Returns 1 created, 0 id taken.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'state', ARGV[2], 'version', ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[5])
return 1
