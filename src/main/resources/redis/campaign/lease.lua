-- Takes or renews a run's planner lease. The holder and its expiry (by the application clock, so a test's
-- clock decides when a crashed planner's lease lapses) are in the value; the key's own TTL only cleans up.
-- KEYS[1] lease key  ARGV[1] token  ARGV[2] now (epoch ms)  ARGV[3] lease ms  ARGV[4] key TTL ms
-- Returns 1 held by the caller now, 0 held by another planner.
local v = redis.call('GET', KEYS[1])
if v then
  local sep = string.find(v, '|', 1, true)
  local holder = string.sub(v, 1, sep - 1)
  local untilMs = tonumber(string.sub(v, sep + 1))
  if holder ~= ARGV[1] and untilMs > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. (tonumber(ARGV[2]) + tonumber(ARGV[3])), 'PX', ARGV[4])
return 1
