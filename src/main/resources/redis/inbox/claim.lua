-- Takes over inbox entries another consumer left pending (it crashed or stalled) for longer than the
-- claim idle time. XAUTOCLAIM JUSTID transfers them without touching their delivery count; then each
-- entry is, by its delivery count so far:
--   * gone from the stream (deleted meanwhile; Redis 6.2 keeps it in the PEL): acknowledged;
--   * delivered max-deliveries times already (a poison entry that crashes consumers): dead-lettered;
--   * otherwise XCLAIMed (which counts this delivery) and returned for processing.
-- KEYS[1] inbox stream   KEYS[2] dead-letter stream
-- ARGV[1] group  ARGV[2] consumer  ARGV[3] min idle ms  ARGV[4] start id  ARGV[5] count
-- ARGV[6] max deliveries  ARGV[7] failedAt (epoch ms)
-- Returns {next start id, {kind of each dead-lettered entry}, gone count, {id, deliveries, field, value, ...}, ...}
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], 'COUNT', ARGV[5], 'JUSTID')
local out = {claimed[1], {}, 0}
local maxDeliveries = tonumber(ARGV[6])
for _, id in ipairs(claimed[2]) do
  local pending = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)
  local deliveries = 0
  if pending[1] then
    deliveries = tonumber(pending[1][4])
  end
  local entry = redis.call('XRANGE', KEYS[1], id, id)
  if not entry[1] then
    redis.call('XACK', KEYS[1], ARGV[1], id)
    out[3] = out[3] + 1
  elseif deliveries >= maxDeliveries then
    local fields = {}
    for _, v in ipairs(entry[1][2]) do
      fields[#fields + 1] = v
    end
    fields[#fields + 1] = 'entryId'
    fields[#fields + 1] = id
    fields[#fields + 1] = 'error'
    fields[#fields + 1] = 'poison'
    fields[#fields + 1] = 'errorMessage'
    fields[#fields + 1] = 'delivered ' .. deliveries .. ' times without being acknowledged'
    fields[#fields + 1] = 'handler'
    fields[#fields + 1] = ''
    fields[#fields + 1] = 'attempts'
    fields[#fields + 1] = tostring(deliveries)
    fields[#fields + 1] = 'failedAt'
    fields[#fields + 1] = ARGV[7]
    redis.call('XADD', KEYS[2], '*', unpack(fields))
    redis.call('XACK', KEYS[1], ARGV[1], id)
    redis.call('XDEL', KEYS[1], id)
    local kind = 'unknown'
    for i = 1, #entry[1][2], 2 do
      if entry[1][2][i] == 'kind' then
        kind = entry[1][2][i + 1]
      end
    end
    out[2][#out[2] + 1] = kind
  else
    local taken = redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, id)
    if taken[1] then
      local item = {id, tostring(deliveries + 1)}
      for _, v in ipairs(taken[1][2]) do
        item[#item + 1] = v
      end
      out[#out + 1] = item
    end
  end
end
return out
