-- Claims entries of the group that have been pending longer than min-idle (their consumer died, e.g. an
-- instance that ran under a random consumer name) for this consumer: XAUTOCLAIM, flattened so the
-- client reads one flat list of strings instead of nested replies.
-- KEYS[1] stream  ARGV[1] group  ARGV[2] consumer  ARGV[3] min idle millis  ARGV[4] start id  ARGV[5] count
-- Returns {next start id, id1, n1, f, v, ..., id2, n2, ...}: n = field count x 2 (0: the entry is gone;
-- it is acknowledged without processing).
local r = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5])
local out = {r[1]}
for _, e in ipairs(r[2]) do
  if type(e) == 'table' and e[1] then
    out[#out + 1] = e[1]
    local fields = e[2]
    if type(fields) == 'table' then
      out[#out + 1] = tostring(#fields)
      for _, x in ipairs(fields) do
        out[#out + 1] = x
      end
    else
      out[#out + 1] = '0'
    end
  end
end
return out
