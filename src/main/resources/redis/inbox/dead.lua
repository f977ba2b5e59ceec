-- Moves an inbox entry that cannot be processed to the dead letters: XADD + XACK + XDEL at once, so
-- an entry is never both dead-lettered and still pending, nor lost between the two.
-- KEYS[1] inbox stream   KEYS[2] dead-letter stream
-- ARGV[1] consumer group ARGV[2] entry id   ARGV[3..] dead-letter field/value pairs
-- Returns 1 when dead-lettered, 0 when the entry was no longer pending (finished elsewhere).
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 0 then
  return 0
end
local fields = {}
for i = 3, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('XADD', KEYS[2], '*', unpack(fields))
redis.call('XDEL', KEYS[1], ARGV[2])
return 1
