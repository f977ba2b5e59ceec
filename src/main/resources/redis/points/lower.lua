-- Schedules a person in the due index at their earliest lot expiry unless an earlier time is already
-- there (ZADD LT; a missing member is added). Stale early entries are harmless: the job finds nothing due.
-- KEYS[1] due index  ARGV[1] epoch millis  ARGV[2] person id
return redis.call('ZADD', KEYS[1], 'LT', ARGV[1], ARGV[2])
