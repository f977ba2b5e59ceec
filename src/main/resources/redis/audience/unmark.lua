-- Removes a dirty mark only if it is still the mark the evaluator took (same score).
-- KEYS[1] dirty sorted set; ARGV[1] person id, ARGV[2] the score read. Returns 1 when removed.
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if s and tonumber(s) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
