-- Takes, renews or releases a lease held under a token.
-- KEYS[1] lease; ARGV[1] token, ARGV[2] 'take' | 'renew' | 'release', ARGV[3] ttl millis. Returns 1 on success.
local cur = redis.call('GET', KEYS[1])
if ARGV[2] == 'take' then
  if cur and cur ~= ARGV[1] then
    return 0
  end
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  return 1
end
if cur ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'renew' then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('DEL', KEYS[1])
end
return 1
