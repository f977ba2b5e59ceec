-- Records one interaction of a person: dedupe, daily caps, growth, level, counters, rolling windows and
-- kind-specific profile counters, all on the person's slot in one call.
-- KEYS[1] the profile hash, KEYS[2] the person's seen-keys sorted set (member = kind:key, score = forget-after).
-- ARGV: 1 kind, 2 member, 3 now ms, 4 forget-after ms, 5 today (local epoch day), 6 growth before caps,
--       7 kind daily cap (-1 = none), 8 global daily cap, 9 activity '1'|'0', 10 interaction time ms,
--       11 the kind's attribute (order: amount in fen; ugc: engagement; group_joined/left: chat id),
--       12 n thresholds, then the thresholds, then n windows, then (days, period) pairs.
-- Returns 'first(1|0):growth added:growth:level:previous level:level published up to', or '-1' when the
-- person is unknown (nothing written). One string, not an array: Redis 6.2 sends an array reply of a
-- script as separate small writes (one write(2) per reply fragment), a measurable share of its CPU on
-- this hot path.
local person, seen = KEYS[1], KEYS[2]
local kind, member = ARGV[1], ARGV[2]
local now = tonumber(ARGV[3])

local nt = tonumber(ARGV[12])
local wbase = 13 + nt
local nw = tonumber(ARGV[wbase])

-- One HMGET for everything read: growth, level, lp, gd:<kind>, gd:*, lastAt, n:<kind>, v, then the
-- window fields, then the kind's own counters; one HSET writes everything back (fewer calls: this
-- script is the hot path).
local fields = {'growth', 'level', 'lp', 'gd:' .. kind, 'gd:*', 'lastAt', 'n:' .. kind, 'v'}
local activity = ARGV[9] == '1'
if activity then
  for i = 1, nw do
    local days = ARGV[wbase + 2 * i - 1]
    fields[#fields + 1] = 'w' .. days .. ':' .. kind
    fields[#fields + 1] = 'w' .. days .. ':*'
  end
end
local extra = #fields
if kind == 'order' then
  fields[extra + 1], fields[extra + 2], fields[extra + 3], fields[extra + 4] = 'orders', 'amount', 'firstOrderAt', 'lastOrderAt'
elseif kind == 'ugc' then
  fields[extra + 1], fields[extra + 2] = 'ugc', 'ugcEng'
elseif kind == 'referral' then
  fields[extra + 1] = 'referrals'
end
local cur = redis.call('HMGET', person, unpack(fields))
-- Every script that changes a profile sets v, so a profile without it may be unknown (EXISTS only then).
if not cur[8] and redis.call('EXISTS', person) == 0 then
  return '-1'
end
local growth = tonumber(cur[1]) or 0
local level = tonumber(cur[2]) or 1
local lp = tonumber(cur[3]) or 1

if redis.call('ZADD', seen, 'NX', ARGV[4], member) == 0 then
  -- Present: a replay, unless its retention ran out and the amortised trim below has not removed it yet.
  if tonumber(redis.call('ZSCORE', seen, member)) > now then
    return '0:0:' .. growth .. ':' .. level .. ':' .. level .. ':' .. lp
  end
  redis.call('ZADD', seen, ARGV[4], member)
end

local today = ARGV[5]
local function earned(state)
  if not state then return 0 end
  local sep = string.find(state, ':', 1, true)
  if string.sub(state, 1, sep - 1) ~= today then return 0 end
  return tonumber(string.sub(state, sep + 1))
end

local grant = tonumber(ARGV[6])
local set = {'n:' .. kind, (tonumber(cur[7]) or 0) + 1, 'v', (tonumber(cur[8]) or 0) + 1}
if grant > 0 then
  local kindEarned, allEarned = earned(cur[4]), earned(cur[5])
  local kindCap = tonumber(ARGV[7])
  if kindCap >= 0 and kindCap - kindEarned < grant then grant = kindCap - kindEarned end
  local globalCap = tonumber(ARGV[8])
  if globalCap - allEarned < grant then grant = globalCap - allEarned end
  if grant < 0 then grant = 0 end
  if grant > 0 then
    growth = growth + grant
    set[#set + 1] = 'gd:' .. kind
    set[#set + 1] = today .. ':' .. (kindEarned + grant)
    set[#set + 1] = 'gd:*'
    set[#set + 1] = today .. ':' .. (allEarned + grant)
    set[#set + 1] = 'growth'
    set[#set + 1] = growth
  end
end

local previous = level
local newLevel = 1
for i = 2, nt do
  if growth >= tonumber(ARGV[12 + i]) then newLevel = i else break end
end
if newLevel ~= level or cur[2] == false then
  set[#set + 1] = 'level'
  set[#set + 1] = newLevel
end
level = newLevel

local at = tonumber(ARGV[10])
if activity then
  if not cur[6] or tonumber(cur[6]) < at then
    set[#set + 1] = 'lastAt'
    set[#set + 1] = ARGV[10]
  end
  -- Rolling-window counter state <period>:<current>:<previous> (see Windows.java).
  for i = 1, nw do
    local p = tonumber(ARGV[wbase + 2 * i])
    for j = 0, 1 do
      local idx = 8 + 2 * (i - 1) + 1 + j
      local state = cur[idx]
      local value
      if not state then
        value = p .. ':1:0'
      else
        local sp, c, pv = string.match(state, '^(-?%d+):(%d+):?(%d*)$')
        sp, c, pv = tonumber(sp), tonumber(c), tonumber(pv) or 0
        if p == sp then value = sp .. ':' .. (c + 1) .. ':' .. pv
        elseif p == sp + 1 then value = p .. ':1:' .. c
        elseif p > sp + 1 then value = p .. ':1:0'
        elseif p == sp - 1 then value = sp .. ':' .. c .. ':' .. (pv + 1)
        end
      end
      if value then
        set[#set + 1] = fields[idx]
        set[#set + 1] = value
      end
    end
  end
end

local attr = ARGV[11]
if kind == 'order' then
  set[#set + 1] = 'orders'
  set[#set + 1] = (tonumber(cur[extra + 1]) or 0) + 1
  set[#set + 1] = 'amount'
  -- %d: a Lua number would be written as %.14g, i.e. in exponent notation beyond 14 digits.
  set[#set + 1] = string.format('%d', (tonumber(cur[extra + 2]) or 0) + (tonumber(attr) or 0))
  if not cur[extra + 3] or tonumber(cur[extra + 3]) > at then
    set[#set + 1] = 'firstOrderAt'
    set[#set + 1] = ARGV[10]
  end
  if not cur[extra + 4] or tonumber(cur[extra + 4]) < at then
    set[#set + 1] = 'lastOrderAt'
    set[#set + 1] = ARGV[10]
  end
elseif kind == 'ugc' then
  set[#set + 1] = 'ugc'
  set[#set + 1] = (tonumber(cur[extra + 1]) or 0) + 1
  if attr ~= '' then
    set[#set + 1] = 'ugcEng'
    set[#set + 1] = (tonumber(cur[extra + 2]) or 0) + tonumber(attr)
  end
elseif kind == 'referral' then
  set[#set + 1] = 'referrals'
  set[#set + 1] = (tonumber(cur[extra + 1]) or 0) + 1
end

redis.call('HSET', person, unpack(set))
-- Forgetting expired keys is only housekeeping (expiry is checked above), so it runs every 16th change.
if set[4] % 16 == 0 then
  redis.call('ZREMRANGEBYSCORE', seen, '-inf', now)
end

if kind == 'group_joined' and attr ~= '' then
  if redis.call('HSETNX', person, 'gr:' .. attr, '1') == 1 then redis.call('HINCRBY', person, 'groups', 1) end
elseif kind == 'group_left' and attr ~= '' then
  if redis.call('HDEL', person, 'gr:' .. attr) == 1 then redis.call('HINCRBY', person, 'groups', -1) end
end

return '1:' .. grant .. ':' .. growth .. ':' .. level .. ':' .. previous .. ':' .. lp
