-- Adds a person to or removes them from one segment's members, and from its build set while a full
-- rebuild is running (the building marker exists), so a rebuild misses no live change.
-- KEYS[1] members set, KEYS[2] build set, KEYS[3] building marker, KEYS[4] live-writes counter
-- ARGV[1] person id, ARGV[2] '1' add / '0' remove, ARGV[3] '1' when a live evaluation writes (counted)
local building = redis.call('EXISTS', KEYS[3]) == 1
if ARGV[2] == '1' then
  redis.call('SADD', KEYS[1], ARGV[1])
  if building then
    redis.call('SADD', KEYS[2], ARGV[1])
  end
else
  redis.call('SREM', KEYS[1], ARGV[1])
  if building then
    redis.call('SREM', KEYS[2], ARGV[1])
  end
end
if ARGV[3] == '1' then
  redis.call('INCR', KEYS[4])
end
return 1
