-- Gives a run's planner lease back, only if the caller still holds it.
-- KEYS[1] lease key  ARGV[1] token
local v = redis.call('GET', KEYS[1])
if v and string.sub(v, 1, #ARGV[1] + 1) == ARGV[1] .. '|' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
