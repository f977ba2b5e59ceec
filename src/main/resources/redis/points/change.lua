-- Every change of one person's points, atomic: forget old idempotency keys, expire due lots, then the
-- operation (earn | redeem | adjust | extend | expire), the ledger entry, the balance in the profile.
-- The balance (profile field 'points') always equals the sum of the live lots' remaining points and the
-- sum of the ledger's signed amounts.
--
-- KEYS[1] profile hash  KEYS[2] lots hash (lot id -> 'remaining:amount:earnedAt:expiresAt'; field 'n' = last id)
-- KEYS[3] lots by expiry (zset lot id -> expiresAt)  KEYS[4] ledger (list, newest first, JSON entries)
-- KEYS[5] idempotency keys (zset key -> forget-after millis)  KEYS[6] outcomes (hash key -> fingerprint\noutcome)
-- ARGV[1] op  ARGV[2] now (epoch millis)  ARGV[3] idempotency key ('' for expire)  ARGV[4] fingerprint
-- ARGV[5] forget-after (epoch millis)  ARGV[6] reason  ARGV[7] operator
-- ARGV[8] amount (earn, redeem) | delta (adjust)  ARGV[9] expiresAt (earn, positive adjust) | cutoff (extend)
-- ARGV[10] extension in millis (extend)
-- Returns {status, amount, balanceAfter, at, extra, nextExpiry, currentBalance, version}; status is
-- ok | duplicate | insufficient | key-reused | unknown-person | invalid (nothing written for the last four).
-- extra: earn/adjust+ 'lotId'; extend 'points:earliestNewExpiry'.
local profile, lots, byExpiry, ledger, seen, outcomes = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local op, now, key = ARGV[1], tonumber(ARGV[2]), ARGV[3]

local function int(x)
  return string.format('%d', x)
end

if redis.call('EXISTS', profile) == 0 then
  return {'unknown-person', '0', '0', ARGV[2], '', '', '0', '0'}
end

local balance = tonumber(redis.call('HGET', profile, 'points') or '0')
local startBalance = balance

local function lot(id)
  local v = redis.call('HGET', lots, id)
  local rem, amt, earned, exp = string.match(v, '^(%d+):(%d+):(%d+):(%d+)$')
  return {rem = tonumber(rem), amt = amt, earned = earned, exp = exp}
end

local function put(id, l)
  redis.call('HSET', lots, id, int(l.rem) .. ':' .. l.amt .. ':' .. l.earned .. ':' .. l.exp)
end

local function drop(id)
  redis.call('HDEL', lots, id)
  redis.call('ZREM', byExpiry, id)
end

local function log(entry)
  -- empty fields are left out: the ledger is most of a person's points memory
  if entry.k == '' then entry.k = nil end
  if entry.o == '' then entry.o = nil end
  if entry.r == '' then entry.r = nil end
  entry.at = now
  entry.b = balance
  redis.call('LPUSH', ledger, cjson.encode(entry))
end

local function tail()
  if balance ~= startBalance then
    redis.call('HSET', profile, 'points', int(balance))
    redis.call('HINCRBY', profile, 'v', 1)
  end
  local first = redis.call('ZRANGE', byExpiry, 0, 0, 'WITHSCORES')
  local nextExpiry = ''
  if #first > 0 then nextExpiry = first[2] end
  return nextExpiry, int(balance), redis.call('HGET', profile, 'v') or '0'
end

-- forget idempotency keys past their retention (bounded per call; every call trims a little)
local old = redis.call('ZRANGEBYSCORE', seen, '-inf', ARGV[2], 'LIMIT', 0, 100)
if #old > 0 then
  redis.call('ZREM', seen, unpack(old))
  redis.call('HDEL', outcomes, unpack(old))
end

-- expire due lots first, so no operation ever sees expired points
local due = redis.call('ZRANGEBYSCORE', byExpiry, '-inf', ARGV[2])
if #due > 0 then
  local touched, total = {}, 0
  for _, id in ipairs(due) do
    local l = lot(id)
    if l.rem > 0 then
      touched[#touched + 1] = {tonumber(id), l.rem, tonumber(l.exp)}
      total = total + l.rem
    end
    drop(id)
  end
  if total > 0 then
    balance = balance - total
    log({t = 'expire', a = -total, r = 'expired', lots = touched})
  end
end

if op == 'expire' then
  local nextExpiry, cur, v = tail()
  return {'ok', '0', cur, ARGV[2], '', nextExpiry, cur, v}
end

if key ~= '' then
  local prior = redis.call('HGET', outcomes, key)
  if prior then
    local sep = string.find(prior, '\n', 1, true)
    local nextExpiry, cur, v = tail()
    if string.sub(prior, 1, sep - 1) ~= ARGV[4] then
      return {'key-reused', '0', cur, ARGV[2], '', nextExpiry, cur, v}
    end
    local amount, after, at, extra = string.match(string.sub(prior, sep + 1), '^([^|]*)|([^|]*)|([^|]*)|(.*)$')
    return {'duplicate', amount, after, at, extra, nextExpiry, cur, v}
  end
end

local amount = tonumber(ARGV[8] or '0')
local reason, operator = ARGV[6], ARGV[7]

local function spend(n)
  local touched = {}
  local ids = redis.call('ZRANGE', byExpiry, 0, -1)
  for _, id in ipairs(ids) do
    if n <= 0 then break end
    local l = lot(id)
    local take = math.min(l.rem, n)
    if take > 0 then
      l.rem = l.rem - take
      n = n - take
      touched[#touched + 1] = {tonumber(id), take}
      if l.rem == 0 then drop(id) else put(id, l) end
    end
  end
  return touched
end

local function earn(n, expiresAt)
  local id = redis.call('HINCRBY', lots, 'n', 1)
  put(id, {rem = n, amt = int(n), earned = ARGV[2], exp = expiresAt})
  redis.call('ZADD', byExpiry, expiresAt, id)
  balance = balance + n
  return id
end

local signed, extra = 0, ''
if op == 'earn' or (op == 'adjust' and amount > 0) then
  if tonumber(ARGV[9]) <= now then
    local nextExpiry, cur, v = tail()
    return {'invalid', '0', cur, ARGV[2], '', nextExpiry, cur, v}
  end
  local id = earn(amount, ARGV[9])
  signed, extra = amount, int(id)
  log({t = op, a = amount, r = reason, o = operator, k = key, lot = id, exp = tonumber(ARGV[9])})
elseif op == 'redeem' or op == 'adjust' then
  local n = amount
  if op == 'adjust' then n = -amount end
  if n > balance then
    local nextExpiry, cur, v = tail()
    return {'insufficient', '0', cur, ARGV[2], '', nextExpiry, cur, v}
  end
  local touched = spend(n)
  balance = balance - n
  signed = -n
  log({t = (op == 'redeem') and 'spend' or 'adjust', a = -n, r = reason, o = operator, k = key, lots = touched})
elseif op == 'extend' then
  local by = tonumber(ARGV[10])
  local ids = redis.call('ZRANGEBYSCORE', byExpiry, '(' .. ARGV[2], ARGV[9])
  local points, earliest, touched = 0, nil, {}
  for _, id in ipairs(ids) do
    local l = lot(id)
    local newExp = tonumber(l.exp) + by
    l.exp = int(newExp)
    put(id, l)
    redis.call('ZADD', byExpiry, l.exp, id)
    points = points + l.rem
    if earliest == nil or newExp < earliest then earliest = newExp end
    touched[#touched + 1] = {tonumber(id), l.rem, newExp}
  end
  if points > 0 then
    log({t = 'extend', a = 0, r = reason, o = operator, k = key, pts = points, exp = earliest, lots = touched})
    extra = int(points) .. ':' .. int(earliest)
  else
    extra = '0:'
  end
else
  return redis.error_reply('unknown points operation ' .. op)
end

redis.call('HSET', outcomes, key, ARGV[4] .. '\n' .. int(signed) .. '|' .. int(balance) .. '|' .. ARGV[2] .. '|' .. extra)
redis.call('ZADD', seen, ARGV[5], key)
local nextExpiry, cur, v = tail()
return {'ok', int(signed), cur, ARGV[2], extra, nextExpiry, cur, v}
