-- Records that level_up events were published up to ARGV[1] (never lowers it: a concurrent publisher
-- may have gone further). KEYS[1] the profile hash. Returns the stored value.
local lp = tonumber(redis.call('HGET', KEYS[1], 'lp')) or 1
local want = tonumber(ARGV[1])
if want > lp and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'lp', want)
  return want
end
return lp
