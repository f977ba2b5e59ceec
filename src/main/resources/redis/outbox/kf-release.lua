-- Gives back a kf send that did not happen, unless the customer wrote since (the count was reset).
-- KEYS[1] kf session hash  ARGV[1] the session's last message time when the send was reserved
-- ARGV[2] 1 to use up the session's remaining sends instead (WeCom said the count is reached)
-- Returns 1 changed, 0 not.
if redis.call('HGET', KEYS[1], 'last') ~= ARGV[1] then
  return 0
end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'count', 1000000)
  return 1
end
if tonumber(redis.call('HGET', KEYS[1], 'count') or '0') > 0 then
  redis.call('HINCRBY', KEYS[1], 'count', -1)
end
return 1
