-- One blind-box draw for (person, step), atomic: replay check, blacklist, weighted choice among the
-- prizes still drawable, stock decrement, coupon code, per-person count, record, statistics.
-- Stock never goes negative and no code is issued twice because all of it runs as one script.
--
-- KEYS[1] draws of the person (hash step -> result JSON)   KEYS[2] blacklist (set)
-- KEYS[3] stock of the pool (hash prizeId -> remaining)    KEYS[4] person's won counts (hash pool|prize -> n)
-- KEYS[5] statistics of the pool (hash)                    KEYS[6..] code lists of the coupon prizes
-- ARGV[1] step  ARGV[2] pool id  ARGV[3] person id  ARGV[4] random number in [0, 1) from the caller
-- ARGV[5] now (epoch millis)  ARGV[6..8] fallback id, name, kind ('' id: no fallback)
-- ARGV[9] number of prizes, then 6 per prize: id, name, kind, weight, limit per person,
--         index into KEYS of its code list (0: not a coupon)
-- Returns {replay 0|1, pool, outcome, prizeId, prizeName, kind, code, drawnAt} ('' for absent values).

local step, pool, person = ARGV[1], ARGV[2], ARGV[3]

local function reply(replay, r)
  return {replay, r.pool, r.outcome, r.prize, r.name, r.kind, r.code, r.at}
end

local earlier = redis.call('HGET', KEYS[1], step)
if earlier then
  return reply(1, cjson.decode(earlier))
end

local result = {pool = pool, outcome = 'EMPTY', prize = '', name = '', kind = '', code = '', at = ARGV[5]}

if redis.call('SISMEMBER', KEYS[2], person) == 1 then
  result.outcome = 'BLACKLISTED'
  redis.call('HINCRBY', KEYS[5], 'blacklisted', 1)
else
  local n = tonumber(ARGV[9])
  local ids, wonFields = {}, {}
  for i = 0, n - 1 do
    ids[i + 1] = ARGV[10 + i * 6]
    wonFields[i + 1] = pool .. '|' .. ids[i + 1]
  end
  -- two HMGETs instead of two HGETs per prize: fewer calls into Redis from the script
  local stocks = redis.call('HMGET', KEYS[3], unpack(ids))
  local wons = redis.call('HMGET', KEYS[4], unpack(wonFields))
  local candidates = {}
  local total = 0
  for i = 0, n - 1 do
    local base = 10 + i * 6
    local stock = tonumber(stocks[i + 1] or '0')
    local won = tonumber(wons[i + 1] or '0')
    local codes = tonumber(ARGV[base + 5])
    if stock > 0 and won < tonumber(ARGV[base + 4])
        and (codes == 0 or redis.call('LLEN', KEYS[codes]) > 0) then
      local weight = tonumber(ARGV[base + 3])
      total = total + weight
      candidates[#candidates + 1] = {base = base, weight = weight, codes = codes}
    end
  end

  if #candidates > 0 then
    local target = math.floor(tonumber(ARGV[4]) * total)
    local chosen = candidates[#candidates]
    for _, c in ipairs(candidates) do
      if target < c.weight then
        chosen = c
        break
      end
      target = target - c.weight
    end
    local id = ARGV[chosen.base]
    if chosen.codes > 0 then
      result.code = redis.call('LPOP', KEYS[chosen.codes])
    end
    redis.call('HINCRBY', KEYS[3], id, -1)
    redis.call('HINCRBY', KEYS[4], pool .. '|' .. id, 1)
    redis.call('HINCRBY', KEYS[5], 'won:' .. id, 1)
    result.outcome = 'WON'
    result.prize = id
    result.name = ARGV[chosen.base + 1]
    result.kind = ARGV[chosen.base + 2]
  elseif ARGV[6] ~= '' then
    result.outcome = 'FALLBACK'
    result.prize = ARGV[6]
    result.name = ARGV[7]
    result.kind = ARGV[8]
    redis.call('HINCRBY', KEYS[5], 'fallback', 1)
  else
    redis.call('HINCRBY', KEYS[5], 'empty', 1)
  end
end

redis.call('HSET', KEYS[1], step, cjson.encode(result))
return reply(0, result)
