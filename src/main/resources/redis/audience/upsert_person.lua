-- Creates or updates a person from externalcontact/get, with all its follow relationships, in one step.
-- KEYS[1] person hash, KEYS[2] follows hash (staff userid -> follow JSON), KEYS[3] tags set
-- ARGV[1] id, [2] externalUserId, [3] unionId ('' if none), [4] name, [5] avatar, [6] gender,
-- [7] owner candidate (staff of the earliest follow), [8] state (channel of the add event, '' if none),
-- [9] now (epoch millis), [10] number of follows n, then n pairs: userid, follow JSON {remark, tags[], state, createtime}
-- Returns the owner userid ('' if none). Owner, state, externalUserId and firstSeen are kept from the first upsert.
local person, follows, tags = KEYS[1], KEYS[2], KEYS[3]
redis.call('HSET', person, 'id', ARGV[1], 'name', ARGV[4], 'avatar', ARGV[5], 'gender', ARGV[6], 'updatedAt', ARGV[9])
redis.call('HSETNX', person, 'externalUserId', ARGV[2])
redis.call('HSETNX', person, 'firstSeen', ARGV[9])
if ARGV[3] ~= '' then
  redis.call('HSET', person, 'unionId', ARGV[3])
end
if ARGV[7] ~= '' then
  redis.call('HSETNX', person, 'ownerUserId', ARGV[7])
end
if ARGV[8] ~= '' then
  redis.call('HSETNX', person, 'state', ARGV[8])
end
local n = tonumber(ARGV[10])
for i = 0, n - 1 do
  local json = ARGV[12 + 2 * i]
  redis.call('HSET', follows, ARGV[11 + 2 * i], json)
  local f = cjson.decode(json)
  if type(f.tags) == 'table' then
    for _, t in ipairs(f.tags) do
      redis.call('SADD', tags, t)
    end
  end
end
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
