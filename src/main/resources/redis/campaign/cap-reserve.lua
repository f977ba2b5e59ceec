-- Reserves one slot of a campaign's per-person cap (over the campaign's lifetime) for one run, idempotently:
-- a re-plan of the same run (after a crash, or SSCAN returning a person twice) reuses its slot.
-- KEYS[1] the person's cap hash for this campaign ({p:<id>})  ARGV[1] run id  ARGV[2] cap  ARGV[3] retention ms
-- Returns 1 reserved (now or before), 0 the cap is reached.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then
  return 1
end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
