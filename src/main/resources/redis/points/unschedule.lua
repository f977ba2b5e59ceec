-- Removes a person from the due index only if their entry is still the one the job took (same score):
-- an operation that meanwhile lowered it keeps its entry.
-- KEYS[1] due index  ARGV[1] person id  ARGV[2] the score the job read
local cur = redis.call('ZSCORE', KEYS[1], ARGV[1])
if cur and tonumber(cur) == tonumber(ARGV[2]) then
  return redis.call('ZREM', KEYS[1], ARGV[1])
end
return 0
