-- Adds uploaded coupon codes to a prize's unused list, skipping every code ever seen for the prize
-- (uploaded before, issued, or repeated within this upload).
-- KEYS[1] codes ever seen (set)   KEYS[2] unused codes (list)   ARGV the codes
-- Returns {accepted, duplicates, unused codes now}.
local accepted, batch = 0, {}
for i = 1, #ARGV do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    accepted = accepted + 1
    batch[#batch + 1] = ARGV[i]
    -- unpack() is bounded by Lua's C stack: push in chunks
    if #batch == 1000 then
      redis.call('RPUSH', KEYS[2], unpack(batch))
      batch = {}
    end
  end
end
if #batch > 0 then
  redis.call('RPUSH', KEYS[2], unpack(batch))
end
return {accepted, #ARGV - accepted, redis.call('LLEN', KEYS[2])}
