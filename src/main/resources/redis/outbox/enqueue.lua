-- Records an outbox entry once per key and schedules it. A known key changes nothing.
-- KEYS[1] entry hash  KEYS[2] due zset  KEYS[3] stats hash
-- ARGV[1] key  ARGV[2] person id ('' for none)  ARGV[3] message JSON  ARGV[4] now (epoch ms)
-- ARGV[5] priority  ARGV[6] deadline (epoch ms, '' for none)  ARGV[7] source
-- ARGV[8] feedback hash key (a campaign run's siyu:{outbox}:fb:<runId>, '' none)  ARGV[9] its labels (comma-joined)
--   Both are per message: a multi-message enqueue passes them with each message's other fields.
-- Returns {1, 'queued'} when recorded, {0, current status} when the key was already known.
-- Feedback: count one outcome into the entry's run feedback hash (fields 'fb' key, 'fbl' labels on the entry):
-- counter, counter:detail, and l:<label>:counter per breakdown label. Same helper in enqueue/claim/finish.lua.
local function fbcount(fb, labels, counter, detail)
  if fb == nil or fb == false or fb == '' then
    return
  end
  redis.call('HINCRBY', fb, counter, 1)
  if detail ~= nil and detail ~= '' then
    redis.call('HINCRBY', fb, counter .. ':' .. detail, 1)
  end
  for l in string.gmatch(labels or '', '[^,]+') do
    redis.call('HINCRBY', fb, 'l:' .. l .. ':' .. counter, 1)
  end
end
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {0, redis.call('HGET', KEYS[1], 'status') or 'unknown'}
end
redis.call('HSET', KEYS[1], 'key', ARGV[1], 'person', ARGV[2], 'msg', ARGV[3], 'status', 'queued',
  'attempts', 0, 'deliveries', 0, 'from', 0, 'createdAt', ARGV[4], 'updatedAt', ARGV[4], 'dueAt', ARGV[4],
  'priority', ARGV[5], 'deadline', ARGV[6], 'source', ARGV[7])
if ARGV[8] ~= nil and ARGV[8] ~= '' then
  redis.call('HSET', KEYS[1], 'fb', ARGV[8], 'fbl', ARGV[9] or '')
  fbcount(ARGV[8], ARGV[9], 'enqueued', nil)
end
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'status:queued', 1)
return {1, 'queued'}
