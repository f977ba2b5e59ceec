-- Releases the kf sync lease only if this holder still owns it (compare-and-delete).
-- KEYS[1] lease   ARGV[1] holder token
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
