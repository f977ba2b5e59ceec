-- Releases (ARGV[2] = '0') or renews (ARGV[2] = lease millis) a lease only if ARGV[1] still holds it.
-- KEYS[1] lease key  ARGV[1] holder token  ARGV[2] '0' | new lease millis
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '0' then
  return redis.call('DEL', KEYS[1])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
