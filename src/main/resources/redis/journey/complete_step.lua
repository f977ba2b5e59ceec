-- Marks a journey step done for a person, once: the first caller gets first = 1, every later one 0.
-- KEYS[1] person hash, KEYS[2] journey steps hash
-- ARGV[1] step id, ARGV[2] now (epoch millis)
-- Returns {-1} for an unknown person, else {first, completedAt, stored draw JSON or '', state, name,
-- externalUserId, ownerUserId} so the caller can repair a missing draw or message without another read.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {-1}
end
local first = redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
local p = redis.call('HMGET', KEYS[1], 'state', 'name', 'externalUserId', 'ownerUserId')
return {first, redis.call('HGET', KEYS[2], ARGV[1]), redis.call('HGET', KEYS[2], ARGV[1] .. ':draw') or '',
  p[1] or '', p[2] or '', p[3] or '', p[4] or ''}
