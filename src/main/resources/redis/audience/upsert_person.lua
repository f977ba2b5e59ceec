-- Creates or updates a person from externalcontact/get, with all its follow relationships, in one step.
-- The person hash IS the profile (ProfileFields): tags are fields t:<tag> = '1'; the avatar URL is not kept
-- (too long for the hash's compact encoding). Any follow (externalcontact/get lists one) clears unfollowedAt; every call bumps v.
-- KEYS[1] person hash, KEYS[2] follows hash (staff userid -> follow JSON)
-- ARGV[1] id, [2] externalUserId, [3] unionId ('' if none), [4] name, [5] gender,
-- [6] owner candidate (staff of the earliest follow), [7] state (channel of the add event, '' if none),
-- [8] now (epoch millis), [9] number of follows n, then n pairs: userid, follow JSON {remark, tags[], state, createtime}
-- Returns the owner userid ('' if none). Owner, state, externalUserId and firstSeen are kept from the first upsert.
local person, follows = KEYS[1], KEYS[2]
redis.call('HSET', person, 'id', ARGV[1], 'name', ARGV[4], 'gender', ARGV[5], 'updatedAt', ARGV[8])
redis.call('HDEL', person, 'avatar')
redis.call('HSETNX', person, 'externalUserId', ARGV[2])
redis.call('HSETNX', person, 'firstSeen', ARGV[8])
if ARGV[3] ~= '' then
  redis.call('HSET', person, 'unionId', ARGV[3])
end
if ARGV[6] ~= '' then
  redis.call('HSETNX', person, 'ownerUserId', ARGV[6])
end
if ARGV[7] ~= '' then
  redis.call('HSETNX', person, 'state', ARGV[7])
end
local n = tonumber(ARGV[9])
if n > 0 then
  redis.call('HDEL', person, 'unfollowedAt')
end
for i = 0, n - 1 do
  local json = ARGV[11 + 2 * i]
  redis.call('HSET', follows, ARGV[10 + 2 * i], json)
  local f = cjson.decode(json)
  if type(f.tags) == 'table' then
    for _, t in ipairs(f.tags) do
      redis.call('HSET', person, 't:' .. t, '1')
    end
  end
end
redis.call('HINCRBY', person, 'v', 1)
local owner = redis.call('HGET', person, 'ownerUserId')
if not owner then
  return ''
end
local of = redis.call('HGET', follows, owner)
if of then
  local f = cjson.decode(of)
  if type(f.remark) == 'string' then
    redis.call('HSET', person, 'remark', f.remark)
  end
end
return owner
