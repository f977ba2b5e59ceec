-- Replaces (or deletes) a campaign if its version is still the one the caller read: of two operators
-- racing a transition or an edit, exactly one wins; the other re-reads and is told why it lost.
-- The due set follows in the same step: a scheduled, running or paused campaign with a next run is in it
-- (the planner's tick skips paused ones), anything else is not.
-- KEYS[1] campaign hash  KEYS[2] index  KEYS[3] due zset (all {campaign})
-- ARGV[1] expected version  ARGV[2] 'set' | 'del'  ARGV[3] json  ARGV[4] state  ARGV[5] new version  ARGV[6] id
-- ARGV[7] next run (epoch ms, '' none)
-- Returns 1 done, 0 version changed meanwhile, -1 no such campaign.
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return -1
end
if current ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'del' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[6])
  redis.call('ZREM', KEYS[3], ARGV[6])
  return 1
end
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'state', ARGV[4], 'version', ARGV[5])
local s = ARGV[4]
if ARGV[7] ~= '' and (s == 'scheduled' or s == 'running' or s == 'paused') then
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[6])
else
  redis.call('ZREM', KEYS[3], ARGV[6])
end
return 1
