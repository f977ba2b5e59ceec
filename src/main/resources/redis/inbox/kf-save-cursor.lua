-- Persists the kf/sync_msg cursor only while this holder owns the sync lease, and extends the lease,
-- so a holder whose lease expired can never move the cursor under the new holder's feet.
-- KEYS[1] cursor   KEYS[2] lease
-- ARGV[1] holder token   ARGV[2] next cursor   ARGV[3] lease TTL ms
-- Returns 1 when saved, 0 when the lease was lost.
if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
