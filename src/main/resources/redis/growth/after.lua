-- The global side effects that follow a per-person growth script, in one call: the growth leaderboard
-- (absolute value), the domain events (interaction, level_up ...) and the profile-change mark. All three
-- are idempotent (absolute score, events carry an idempotency key, ZADD NX), so the caller's retry or the
-- source's redelivery repairs a crash before or in this script.
-- KEYS[1] growth leaderboard, KEYS[2] events stream, KEYS[3] audience dirty set: they share the {g} slot
-- (see RedisKeys) so one script can write them.
-- ARGV: 1 person id, 2 leaderboard 'gt' (raise to ARGV[3], never lower: interactions) | 'set' (write ARGV[3]:
--       corrections) | '0' (leave it), 3 growth (> 0: ZADD, else ZREM),
--       4 mark millis, 5 stream MAXLEN (approximate), 6 number of events, then per event: number of
--       field/value arguments m, then the m arguments.
-- Returns the number of events added.
local person = ARGV[1]
if ARGV[2] ~= '0' then
  local growth = tonumber(ARGV[3])
  if growth > 0 and ARGV[2] == 'gt' then
    redis.call('ZADD', KEYS[1], 'GT', growth, person)
  elseif growth > 0 then
    redis.call('ZADD', KEYS[1], growth, person)
  elseif ARGV[2] == 'set' then
    redis.call('ZREM', KEYS[1], person)
  end
end
local n = tonumber(ARGV[6])
local i = 7
for _ = 1, n do
  local m = tonumber(ARGV[i])
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(ARGV, i + 1, i + m))
  i = i + m + 1
end
-- NX keeps the earliest mark so a person who changes constantly is not starved (as ProfileChanges).
redis.call('ZADD', KEYS[3], 'NX', ARGV[4], person)
return n
