-- A customer wrote in the kf chat: opens a new 48 h window and resets the sends counted since.
-- Only a newer message resets, so a replayed inbox entry cannot wipe later sends.
-- KEYS[1] kf session hash  ARGV[1] message time (epoch ms)  ARGV[2] ttl ms
-- Returns 1 when the session was updated, 0 for an older or repeated message.
local last = tonumber(redis.call('HGET', KEYS[1], 'last') or '-1')
if tonumber(ARGV[1]) <= last then
  return 0
end
redis.call('HSET', KEYS[1], 'last', ARGV[1], 'count', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
