-- Gives back a reservation of a message that was not sent (dead or expired), if it is still the one
-- the caller read.
-- KEYS[1] day counter  KEYS[2] week counter  KEYS[3] reservation marker
-- ARGV[1] the marker value read by the caller
-- Returns 1 released, 0 nothing to release.
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return 0
end
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  redis.call('DECR', KEYS[1])
end
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
redis.call('DEL', KEYS[3])
return 1
