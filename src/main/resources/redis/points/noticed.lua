-- Marks an expiry day as noticed for a person (points_expiring published) and forgets past days.
-- KEYS[1] the person's noticed hash  ARGV[1] expiry day yyyy-MM-dd  ARGV[2] today yyyy-MM-dd
-- ARGV[3] key TTL millis (past the marked day)
-- Returns 1 newly marked, 0 already marked. ISO dates compare as strings.
local days = redis.call('HKEYS', KEYS[1])
for _, d in ipairs(days) do
  if d < ARGV[2] then
    redis.call('HDEL', KEYS[1], d)
  end
end
local added = redis.call('HSETNX', KEYS[1], ARGV[1], '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return added
