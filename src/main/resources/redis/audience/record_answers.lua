-- Merges questionnaire answers and tags into an existing person.
-- KEYS[1] person hash, KEYS[2] answers hash, KEYS[3] tags set
-- ARGV[1] number of answers n, then n pairs question id, answer, then the tags to add
-- Returns 1, or 0 (nothing written) when the person does not exist.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
local n = tonumber(ARGV[1])
for i = 0, n - 1 do
  redis.call('HSET', KEYS[2], ARGV[2 + 2 * i], ARGV[3 + 2 * i])
end
for i = 2 + 2 * n, #ARGV do
  redis.call('SADD', KEYS[3], ARGV[i])
end
return 1
