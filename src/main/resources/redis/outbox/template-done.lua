-- Records what became of an entry's add_msg_template task, once: confirmed (the staff member sent it),
-- failed (WeCom could not deliver it) or unconfirmed (still unsent after confirm-for). Counts staff:<outcome>
-- in the entry's run feedback hash and stops checking it. A replay counts nothing.
-- KEYS[1] entry hash  KEYS[2] pending tasks zset
-- ARGV[1] key  ARGV[2] outcome (confirmed | failed | unconfirmed)  ARGV[3] now (epoch ms)
-- Returns 1 when recorded, 0 when already recorded or the entry is gone.
redis.call('ZREM', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'tmplDone') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'tmplDone', ARGV[2], 'tmplDoneAt', ARGV[3])
local fb = redis.call('HGET', KEYS[1], 'fb')
if fb then
  redis.call('HINCRBY', fb, 'staff:' .. ARGV[2], 1)
end
return 1
