-- Takes one of the customer's kf sends: allowed within the window after their last message and
-- while fewer than the maximum were sent since.
-- KEYS[1] kf session hash  ARGV[1] now (epoch ms)  ARGV[2] window ms  ARGV[3] max sends
-- Returns {1, last} reserved, {-1, last} over the count, {-2, ''} no open session.
local last = redis.call('HGET', KEYS[1], 'last')
if not last or tonumber(ARGV[1]) > tonumber(last) + tonumber(ARGV[2]) then
  return {-2, ''}
end
if tonumber(redis.call('HGET', KEYS[1], 'count') or '0') >= tonumber(ARGV[3]) then
  return {-1, last}
end
redis.call('HINCRBY', KEYS[1], 'count', 1)
return {1, last}
