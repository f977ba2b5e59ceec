-- Creates a built-in campaign once across instances and starts: the registry remembers every builtin id
-- ever created (an operator's later cancel and delete is not undone by the next start).
-- KEYS[1] registry (builtin id -> config hash)  KEYS[2] campaign hash  KEYS[3] index (all {campaign})
-- ARGV[1] builtin id  ARGV[2] config hash  ARGV[3] json  ARGV[4] state  ARGV[5] version  ARGV[6] created millis
-- ARGV[7] campaign id
-- Returns {1, hash} created, or {0, the hash it was created from}.
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  return {0, stored}
end
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[2], 'json', ARGV[3], 'state', ARGV[4], 'version', ARGV[5])
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return {1, ARGV[2]}
