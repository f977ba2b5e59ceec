-- Counts a completed step in the funnel, overall and for the person's channel. Sets, not counters:
-- a redelivered completion adds nothing, so the figures stay exact without a per-person flag in another slot.
-- KEYS[1] step set, KEYS[2] step set of the channel, KEYS[3] set of channels
-- ARGV[1] person id, ARGV[2] channel (State) or ''
-- Returns 1 when the person was newly counted.
local added = redis.call('SADD', KEYS[1], ARGV[1])
if ARGV[2] ~= '' then
  redis.call('SADD', KEYS[2], ARGV[1])
  redis.call('SADD', KEYS[3], ARGV[2])
end
return added
