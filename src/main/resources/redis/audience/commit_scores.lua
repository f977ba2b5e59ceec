-- Writes a person's scores and segment flags, only if the profile is still the version they were computed
-- from (compare-and-set on v): a change in between bumped v and marked the person dirty again.
-- KEYS[1] person hash
-- ARGV[1] the v read ('' when absent), [2] stage, [3] stageAt, [4] rfmR, [5] rfmF, [6] rfmM, [7] value,
-- [8] super ('1' or ''), then pairs: segment name, '1' (member) or '0'
-- Returns {0} when v changed or the person is gone, else {1, then '+<seg>' / '-<seg>' for each flag that changed}.
local p = KEYS[1]
if redis.call('EXISTS', p) == 0 then
  return {0}
end
local v = redis.call('HGET', p, 'v') or ''
if v ~= ARGV[1] then
  return {0}
end
redis.call('HSET', p, 'stage', ARGV[2], 'stageAt', ARGV[3], 'rfmR', ARGV[4], 'rfmF', ARGV[5], 'rfmM', ARGV[6],
  'value', ARGV[7], 'sv', ARGV[1])
if ARGV[8] == '1' then
  redis.call('HSET', p, 'super', '1')
else
  redis.call('HDEL', p, 'super')
end
local out = {1}
for i = 9, #ARGV, 2 do
  local f = 's:' .. ARGV[i]
  local was = redis.call('HEXISTS', p, f) == 1
  if ARGV[i + 1] == '1' then
    if not was then
      redis.call('HSET', p, f, '1')
      out[#out + 1] = '+' .. ARGV[i]
    end
  elseif was then
    redis.call('HDEL', p, f)
    out[#out + 1] = '-' .. ARGV[i]
  end
end
return out
