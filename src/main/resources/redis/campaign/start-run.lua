-- Starts a campaign run: the campaign's compare-and-set (running, next run advanced) and the run record, in
-- one step, so of two instances whose ticks see the same due campaign exactly one creates the run (the
-- other's version is stale), and an operator's concurrent cancel or pause either wins or loses cleanly.
-- KEYS[1] campaign hash  KEYS[2] due zset  KEYS[3] run hash  KEYS[4] active runs zset  KEYS[5] campaign runs zset
-- ARGV[1] expected version  ARGV[2] json  ARGV[3] state  ARGV[4] new version  ARGV[5] campaign id
-- ARGV[6] next run (epoch ms, '' none)  ARGV[7] run id  ARGV[8] fire time (epoch ms)  ARGV[9] now (epoch ms)
-- Returns 1 started, 0 version changed meanwhile, -1 no such campaign.
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return -1
end
if current ~= ARGV[1] then
  return 0
end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'state', ARGV[3], 'version', ARGV[4])
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[2], ARGV[6], ARGV[5])
else
  redis.call('ZREM', KEYS[2], ARGV[5])
end
if redis.call('EXISTS', KEYS[3]) == 0 then
  redis.call('HSET', KEYS[3], 'campaign', ARGV[5], 'state', 'planning', 'cursor', '0', 'scanDone', '0',
    'fireAt', ARGV[8], 'startedAt', ARGV[9], 'updatedAt', ARGV[9], 'pages', 0, 'scanned', 0, 'planned', 0,
    'alreadyQueued', 0, 'excluded', 0, 'capped', 0, 'noRecipient', 0)
  redis.call('ZADD', KEYS[4], ARGV[9], ARGV[7])
  redis.call('ZADD', KEYS[5], ARGV[8], ARGV[7])
end
return 1
