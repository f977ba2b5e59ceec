-- del_follow_user: the customer deleted a staff member. Removes that follow; when none is left, sets
-- unfollowedAt (once: a redelivery changes nothing) and bumps v.
-- KEYS[1] person hash, KEYS[2] follows hash; ARGV[1] staff userid, ARGV[2] now (epoch millis)
-- Returns 0 unknown person, 1 still follows someone (or already unfollowed), 2 newly unfollowed.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HDEL', KEYS[2], ARGV[1])
if redis.call('HLEN', KEYS[2]) > 0 or redis.call('HEXISTS', KEYS[1], 'unfollowedAt') == 1 then
  return 1
end
redis.call('HSET', KEYS[1], 'unfollowedAt', ARGV[2], 'updatedAt', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'v', 1)
return 2
