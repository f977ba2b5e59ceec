-- Acknowledges a processed inbox entry and deletes it, so the stream only holds unfinished work.
-- KEYS[1] inbox stream   KEYS[2] processed counter
-- ARGV[1] consumer group ARGV[2] entry id
-- Returns 1 when this call acknowledged the entry, 0 when it was no longer pending (already done).
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if acked == 1 then
  redis.call('INCR', KEYS[2])
end
return acked
