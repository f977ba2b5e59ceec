-- Expires a shared access token only if it is still the one a failed call used, so a caller holding a
-- stale token cannot delete the fresh token another caller (or instance) just fetched.
-- KEYS[1] access token key   ARGV[1] the token the failed call sent
-- Returns 1 if expired, 0 if the stored token had already changed.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
