-- Merges questionnaire answers (fields a:<questionId>) and tags (fields t:<tag> = '1') into an existing
-- person and bumps v.
-- KEYS[1] person hash
-- ARGV[1] number of answers n, then n pairs question id, answer, then the tags to add
-- Returns 1, or 0 (nothing written) when the person does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  redis.call('HSET', KEYS[1], 'a:' .. ARGV[2 + 2 * i], ARGV[3 + 2 * i])
end
for i = 2 + 2 * n, #ARGV do
  redis.call('HSET', KEYS[1], 't:' .. ARGV[i], '1')
end
redis.call('HINCRBY', KEYS[1], 'v', 1)
return 1
