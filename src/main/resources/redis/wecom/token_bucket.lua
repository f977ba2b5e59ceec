-- Token bucket shared by every Siyu instance, one per WeCom API (modelled on spring-cloud-gateway's
-- request_rate_limiter.lua). A caller that can wait up to max_wait_ms reserves a token ahead of time
-- (the bucket goes negative), so it never has to come back and race for it.
--
-- KEYS[1] the bucket hash: fields tokens, ts
-- ARGV[1] rate: tokens per minute
-- ARGV[2] capacity: burst size
-- ARGV[3] now in ms, from the caller's clock (so tests can fix time)
-- ARGV[4] tokens requested
-- ARGV[5] max wait in ms the caller accepts
-- returns { allowed (1|0), wait_ms } ; allowed=1 means "go after wait_ms", allowed=0 means "none within max wait"
local key = KEYS[1]
local rate = tonumber(ARGV[1]) / 60000.0
local capacity = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local requested = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])

local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end

-- Another instance's clock may be slightly behind: never refill backwards.
local elapsed = math.max(0, now - ts)
tokens = math.min(capacity, tokens + elapsed * rate)
if now > ts then
  ts = now
end

local left = tokens - requested
local wait = 0
if left < 0 then
  wait = math.ceil(-left / rate)
end

local allowed = 0
if wait <= max_wait then
  allowed = 1
  tokens = left
end

local ttl = math.ceil(capacity / rate * 2 + max_wait)
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(ts))
redis.call('PEXPIRE', key, ttl)
return { allowed, wait }
