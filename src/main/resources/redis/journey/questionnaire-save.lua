-- Saves questionnaire answers and, once every question has an answer, marks the questionnaire complete.
-- Shared by the H5 page (all answers at once) and the chat flow (one answer per customer message).
-- KEYS[1] answers hash (question id -> value; multi: option ids joined by ','; '' = skipped)
-- KEYS[2] answer tags hash (question id -> the answer's tags joined by ' ')
-- KEYS[3] state hash (completedAt, prize, current, lastMsg, draft:<q>, drafttags:<q>)
-- KEYS[4] tags set (the person's questionnaire tags, written on completion)
-- ARGV[1] now (epoch ms)
-- ARGV[2] msgid of the customer message ('' for the page): a redelivered message changes nothing
-- ARGV[3] expected current question ('' = no check): a stale chat click changes nothing
-- ARGV[4] all question ids in order, space separated
-- ARGV[5] required question ids, space separated
-- ARGV[6] question whose multi-choice draft is committed as its answer ('' = none)
-- ARGV[7] number of (question id, value, tags) triples that follow
-- Returns {'done', completedAt, prize recorded '1'|'0', prize, last msgid} | {'replay', current} | {'stale', current} | {'unanswered', question}
--       | {'next', question} | {'completed', tag...}
local answers, qtags, state, tagset = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

local function split(s)
  local out = {}
  for w in string.gmatch(s, '%S+') do out[#out + 1] = w end
  return out
end

local completedAt = redis.call('HGET', state, 'completedAt')
if completedAt then
  local prize = redis.call('HGET', state, 'prize')
  return {'done', completedAt, prize and '1' or '0', prize or '', redis.call('HGET', state, 'lastMsg') or ''}
end
local msgid = ARGV[2]
if msgid ~= '' and redis.call('HGET', state, 'lastMsg') == msgid then
  return {'replay', redis.call('HGET', state, 'current') or ''}
end
local expect = ARGV[3]
if expect ~= '' and (redis.call('HGET', state, 'current') or '') ~= expect then
  return {'stale', redis.call('HGET', state, 'current') or ''}
end

local required = {}
for _, q in ipairs(split(ARGV[5])) do required[q] = true end

local commit = ARGV[6]
if commit ~= '' then
  local draft = redis.call('HGET', state, 'draft:' .. commit) or ''
  if draft == '' and required[commit] then
    return {'unanswered', commit}
  end
  redis.call('HSET', answers, commit, draft)
  redis.call('HSET', qtags, commit, redis.call('HGET', state, 'drafttags:' .. commit) or '')
  redis.call('HDEL', state, 'draft:' .. commit, 'drafttags:' .. commit)
end

local n = tonumber(ARGV[7])
for i = 0, n - 1 do
  local q, v, t = ARGV[8 + 3 * i], ARGV[9 + 3 * i], ARGV[10 + 3 * i]
  redis.call('HSET', answers, q, v)
  redis.call('HSET', qtags, q, t)
end
if msgid ~= '' then
  redis.call('HSET', state, 'lastMsg', msgid)
end

local order = split(ARGV[4])
for _, q in ipairs(order) do
  if redis.call('HEXISTS', answers, q) == 0 then
    redis.call('HSET', state, 'current', q)
    return {'next', q}
  end
end
for _, q in ipairs(order) do
  if required[q] and (redis.call('HGET', answers, q) or '') == '' then
    -- a required question left empty (the definition changed meanwhile): ask it again
    redis.call('HDEL', answers, q)
    redis.call('HSET', state, 'current', q)
    return {'next', q}
  end
end

redis.call('HSET', state, 'completedAt', ARGV[1])
redis.call('HDEL', state, 'current')
local tags = {}
local seen = {}
for _, q in ipairs(order) do
  for _, t in ipairs(split(redis.call('HGET', qtags, q) or '')) do
    if not seen[t] then
      seen[t] = true
      tags[#tags + 1] = t
      redis.call('SADD', tagset, t)
    end
  end
end
return {'completed', unpack(tags)}
