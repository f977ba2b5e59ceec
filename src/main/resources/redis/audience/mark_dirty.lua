-- Marks a person for re-evaluation, keeping the earliest mark time (ZADD NX).
-- KEYS[1] the dirty sorted set; ARGV[1] epoch millis, ARGV[2] person id. Returns 1 when newly marked.
return redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2])
