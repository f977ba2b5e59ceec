-- Adds stock to one prize. A script rather than a bare HINCRBY so a prize whose stock hash is missing
-- (never initialised) is refused instead of silently created from zero.
-- KEYS[1] stock of the pool   ARGV[1] prize id   ARGV[2] amount (> 0)
-- Returns the new stock, or -1 when the prize has no stock entry.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return -1
end
return redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
