-- Counts one message against a person's day and week caps, once per outbox key: a redelivered or
-- retried entry finds its reservation and is not counted again.
-- KEYS[1] day counter  KEYS[2] week counter  KEYS[3] reservation marker (all under {p:<id>})
-- ARGV[1] day cap (0 none)  ARGV[2] week cap (0 none)  ARGV[3] day counter ttl ms  ARGV[4] week counter ttl ms
-- ARGV[5] marker value (day|week)  ARGV[6] marker ttl ms
-- Returns 1 reserved now, 2 already reserved, -1 over the day cap, -2 over the week cap.
if redis.call('EXISTS', KEYS[3]) == 1 then
  return 2
end
local dayCap = tonumber(ARGV[1])
local weekCap = tonumber(ARGV[2])
local day = tonumber(redis.call('GET', KEYS[1]) or '0')
local week = tonumber(redis.call('GET', KEYS[2]) or '0')
if dayCap > 0 and day >= dayCap then
  return -1
end
if weekCap > 0 and week >= weekCap then
  return -2
end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[3], ARGV[5], 'PX', ARGV[6])
return 1
