-- Counts a reply or a conversion for one campaign run ONCE per person: a replayed event, a second reply or
-- a second order of the same person within the window counts nothing more. Both keys in the {outbox} slot.
-- KEYS[1] the run's feedback hash  KEYS[2] the run's attributed set (<counter>:<personId>)
-- ARGV[1] counter (reply | conversion)  ARGV[2] person id  ARGV[3] labels (comma-joined)
-- Returns 1 when counted, 0 when already counted for this person.
if redis.call('SADD', KEYS[2], ARGV[1] .. ':' .. ARGV[2]) == 0 then
  return 0
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
for l in string.gmatch(ARGV[3] or '', '[^,]+') do
  redis.call('HINCRBY', KEYS[1], 'l:' .. l .. ':' .. ARGV[1], 1)
end
return 1
