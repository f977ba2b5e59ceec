-- Deletes consumers of the group that hold no pending entries and have been idle longer than the
-- retention (consumers of instances gone for good), except the caller.
-- KEYS[1] stream  ARGV[1] group  ARGV[2] own consumer name  ARGV[3] retention millis
-- Returns the number deleted.
local deleted = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = {}
  for i = 1, #c, 2 do
    f[c[i]] = c[i + 1]
  end
  if f['name'] ~= ARGV[2] and tonumber(f['pending']) == 0 and tonumber(f['idle']) > tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], f['name'])
    deleted = deleted + 1
  end
end
return deleted
