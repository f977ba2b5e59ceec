-- Records a planned page (cursor and counters together, so a crash replays at most one page) or a run's
-- state, only for the lease holder: a planner whose lease lapsed and was taken over writes nothing.
-- KEYS[1] run hash  KEYS[2] lease key  KEYS[3] active runs zset
-- ARGV[1] token  ARGV[2] now (epoch ms)  ARGV[3] cursor ('' keeps it)  ARGV[4] scan done '1'|'0'|''
-- ARGV[5] state ('' keeps it; planned or cancelled end the run)  ARGV[6] run id
-- ARGV[7..] counter name, delta pairs
-- Returns 1 recorded, 0 lease not held.
local v = redis.call('GET', KEYS[2])
if not v or string.sub(v, 1, #ARGV[1] + 1) ~= ARGV[1] .. '|' then
  return 0
end
redis.call('HSET', KEYS[1], 'updatedAt', ARGV[2])
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[1], 'cursor', ARGV[3])
end
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'scanDone', ARGV[4])
end
for i = 7, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], tonumber(ARGV[i + 1]))
end
if ARGV[5] ~= '' then
  redis.call('HSET', KEYS[1], 'state', ARGV[5])
  if ARGV[5] == 'planned' or ARGV[5] == 'cancelled' then
    redis.call('HSET', KEYS[1], 'finishedAt', ARGV[2])
    redis.call('ZREM', KEYS[3], ARGV[6])
  end
end
return 1
