-- Replaces (or deletes) a campaign if its version is still the one the caller read: of two operators
-- racing a transition or an edit, exactly one wins; the other re-reads and is told why it lost.
-- KEYS[1] campaign hash  KEYS[2] index (both {campaign})
-- ARGV[1] expected version  ARGV[2] 'set' | 'del'  ARGV[3] json  ARGV[4] state  ARGV[5] new version  ARGV[6] id
-- Returns 1 done, 0 version changed meanwhile, -1 no such campaign.
local current = redis.call('HGET', KEYS[1], 'version')
if not current then
  return -1
end
if current ~= ARGV[1] then
  return 0
end
if ARGV[2] == 'del' then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[6])
  return 1
end
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'state', ARGV[4], 'version', ARGV[5])
return 1
