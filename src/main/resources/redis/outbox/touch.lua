-- Records that a campaign run messaged a person (after the send is recorded), so replies and conversions
-- within the run's window can be attributed to every run that touched the person (multi-touch).
-- Touches whose window has ended are dropped; the hash expires with its last window.
-- KEYS[1] the person's touches hash (run id -> sentAt|windowEnd|goal|labels)
-- ARGV[1] run id  ARGV[2] value  ARGV[3] now (epoch ms)  ARGV[4] window end of this touch (epoch ms)
local now = tonumber(ARGV[3])
local last = tonumber(ARGV[4])
local h = redis.call('HGETALL', KEYS[1])
for i = 1, #h, 2 do
  local endAt = tonumber(string.match(h[i + 1], '^[^|]*|([^|]*)')) or 0
  if endAt < now then
    redis.call('HDEL', KEYS[1], h[i])
  elseif h[i] ~= ARGV[1] and endAt > last then
    last = endAt
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
-- relative: the caller's clock (epoch ms above) need not be the Redis server's
redis.call('PEXPIRE', KEYS[1], math.max(1, last - now))
return 1
