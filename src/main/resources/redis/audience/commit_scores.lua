-- Writes a person's scores and segment flags, only if the profile is still the version they were computed
-- from (compare-and-set on v): a change in between bumped v and marked the person dirty again. The caller
-- sends only what differs from the hash it read, plus sv.
-- KEYS[1] person hash
-- ARGV[1] the v read ('' when absent), ARGV[2] number of field/value pairs n to set, then the n pairs,
-- then the fields to delete
-- Returns 1 when written, 0 when v changed or the person is gone.
local p = KEYS[1]
if redis.call('EXISTS', p) == 0 then
  return 0
end
local v = redis.call('HGET', p, 'v') or ''
if v ~= ARGV[1] then
  return 0
end
local n = tonumber(ARGV[2])
local set = {}
for i = 3, 2 + 2 * n do
  set[#set + 1] = ARGV[i]
end
if #set > 0 then
  redis.call('HSET', p, unpack(set))
end
if #ARGV > 2 + 2 * n then
  redis.call('HDEL', p, unpack(ARGV, 3 + 2 * n))
end
return 1
