-- Claims one due fire of a triggered campaign: moves its score to now + lease, so no other instance takes it
-- while this one handles it; the handler then removes it (done) or moves it (paused). A claimer that dies
-- leaves it to be claimed again after the lease (the enqueue and the cap slot are idempotent).
-- KEYS[1] the fires sorted set  ARGV[1] member  ARGV[2] now millis  ARGV[3] lease until millis
-- Returns the fire time (the old score) as a string when claimed, false when not due or gone.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) > tonumber(ARGV[2]) then
  return false
end
redis.call('ZADD', KEYS[1], 'XX', ARGV[3], ARGV[1])
return score
