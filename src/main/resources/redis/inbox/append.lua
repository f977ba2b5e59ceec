-- Appends an event to the inbox stream once per dedupe key, in one round trip.
-- KEYS[1] seen marker of this dedupe key   KEYS[2] inbox stream
-- KEYS[3] appended counter                 KEYS[4] duplicate counter
-- ARGV[1] marker TTL in seconds; ARGV[2..] stream field/value pairs
-- Returns {1, id} for a first sighting, {0, id-of-first-sighting} for a duplicate.
local seen = redis.call('GET', KEYS[1])
if seen then
  redis.call('INCR', KEYS[4])
  return {0, seen}
end
local fields = {}
for i = 2, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
local id = redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('SET', KEYS[1], id, 'EX', tonumber(ARGV[1]))
redis.call('INCR', KEYS[3])
return {1, id}
