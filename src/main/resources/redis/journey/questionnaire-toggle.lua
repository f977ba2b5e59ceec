-- Toggles one option of the current multi-choice question in the chat flow's draft.
-- KEYS[1] state hash (see questionnaire-save.lua)
-- ARGV[1] msgid of the click; ARGV[2] question id; ARGV[3] option id
-- ARGV[4..] the question's (option id, tag or '') pairs in display order
-- Returns {'done', completedAt, prize recorded '1'|'0', prize, last msgid} | {'replay', current} | {'stale', current} | {'toggled', selected option ids joined by ','}
local state = KEYS[1]
local msgid, q, opt = ARGV[1], ARGV[2], ARGV[3]

local completedAt = redis.call('HGET', state, 'completedAt')
if completedAt then
  local prize = redis.call('HGET', state, 'prize')
  return {'done', completedAt, prize and '1' or '0', prize or '', redis.call('HGET', state, 'lastMsg') or ''}
end
local current = redis.call('HGET', state, 'current') or ''
if redis.call('HGET', state, 'lastMsg') == msgid then
  return {'replay', current}
end
if current ~= q then
  return {'stale', current}
end

local selected = {}
for id in string.gmatch(redis.call('HGET', state, 'draft:' .. q) or '', '[^,]+') do selected[id] = true end
selected[opt] = not selected[opt]

local ids, tags = {}, {}
for i = 4, #ARGV, 2 do
  local id, tag = ARGV[i], ARGV[i + 1]
  if selected[id] then
    ids[#ids + 1] = id
    if tag ~= '' then tags[#tags + 1] = tag end
  end
end
local csv = table.concat(ids, ',')
redis.call('HSET', state, 'draft:' .. q, csv, 'drafttags:' .. q, table.concat(tags, ' '), 'lastMsg', msgid)
return {'toggled', csv}
