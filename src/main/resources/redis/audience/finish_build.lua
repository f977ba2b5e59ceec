-- Ends a segment's full rebuild if this rebuild still owns it: the build set replaces the members.
-- KEYS[1] members, KEYS[2] build, KEYS[3] building marker; ARGV[1] rebuild token. Returns 1 when swapped.
if redis.call('GET', KEYS[3]) ~= ARGV[1] then
  return 0
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('RENAME', KEYS[2], KEYS[1])
else
  redis.call('DEL', KEYS[1])
end
redis.call('DEL', KEYS[3])
return 1
