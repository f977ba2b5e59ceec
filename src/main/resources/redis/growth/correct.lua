-- An audited correction of a person's growth value (the only change besides interactions).
-- KEYS[1] the profile hash, KEYS[2] the seen-keys sorted set, KEYS[3] the person's corrections list.
-- ARGV: 1 member (correction:<key>), 2 now ms, 3 forget-after ms, 4 delta, 5 audit entry JSON,
--       6 max audit entries kept, 7 n thresholds, then the thresholds.
-- Returns {1, growth, level, previous level, level published up to} on success; {0, ...same} for a
-- replayed key (nothing written); {-1} unknown person; {-2, growth} when the result would be below 0.
local person, seen, audit = KEYS[1], KEYS[2], KEYS[3]
local now = tonumber(ARGV[2])
if redis.call('EXISTS', person) == 0 then
  return {-1}
end
redis.call('ZREMRANGEBYSCORE', seen, '-inf', now)
local cur = redis.call('HMGET', person, 'growth', 'level', 'lp')
local growth = tonumber(cur[1]) or 0
local level = tonumber(cur[2]) or 1
local lp = tonumber(cur[3]) or 1
if redis.call('ZSCORE', seen, ARGV[1]) then
  return {0, growth, level, level, lp}
end
local result = growth + tonumber(ARGV[4])
if result < 0 then
  return {-2, growth}
end
redis.call('ZADD', seen, ARGV[3], ARGV[1])
local nt = tonumber(ARGV[7])
local newLevel = 1
for i = 2, nt do
  if result >= tonumber(ARGV[7 + i]) then newLevel = i else break end
end
-- A level lost and regained publishes level_up again with the same key: consumers dedupe it.
if newLevel < lp then
  lp = newLevel
end
redis.call('HSET', person, 'growth', result, 'level', newLevel, 'lp', lp)
redis.call('LPUSH', audit, ARGV[5])
redis.call('LTRIM', audit, 0, tonumber(ARGV[6]) - 1)
redis.call('HINCRBY', person, 'v', 1)
return {1, result, newLevel, level, lp}
