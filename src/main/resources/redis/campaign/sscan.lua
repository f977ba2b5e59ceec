-- One SSCAN page from a saved cursor (a read; a script because the reactive template's scan hides the cursor,
-- which the planner must save to resume after a crash).
-- KEYS[1] set  ARGV[1] cursor  ARGV[2] count hint
-- Returns {next cursor, {members}}.
return redis.call('SSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
