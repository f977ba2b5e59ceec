-- Copies configured initial stock to a pool's stock hash, per prize, only where the prize has no
-- runtime stock yet: a restart never resets stock, a prize added to the config later gets its own.
-- KEYS[1] stock of the pool (hash prizeId -> remaining)   ARGV pairs of prizeId, initial stock
-- Returns the number of prizes initialised.
local added = 0
for i = 1, #ARGV, 2 do
  added = added + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1])
end
return added
