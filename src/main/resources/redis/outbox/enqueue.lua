-- Records outbox entries once per key and schedules them: N messages in one call (a single enqueue is
-- N = 1; the campaign planner sends a batch). A known key changes nothing.
-- KEYS[1] due zset  KEYS[2] stats hash  KEYS[2 + i] entry hash of message i (i = 1..N)
-- ARGV[1] now (epoch ms)
-- Message i's fields start at ARGV[2 + (i - 1) * 8] (stride 8, OutboxStore.ENQUEUE_STRIDE):
--   +0 key  +1 person id ('' for none)  +2 message JSON  +3 priority  +4 deadline (epoch ms, '' for none)  +5 source
--   +6 feedback hash key (a campaign run's siyu:{outbox}:fb:<runId>, '' none)  +7 its labels (comma-joined)
-- Returns, per message in order, 1 (recorded, status queued) or 0 (key already known) followed by the status:
-- {new_1, status_1, new_2, status_2, ...}.
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
local stride = 8
local now = ARGV[1]
local out = {}
local queued = 0
for i = 1, #KEYS - 2 do
  local entry = KEYS[2 + i]
  local a = 2 + (i - 1) * stride
  if redis.call('EXISTS', entry) == 1 then
    out[#out + 1] = 0
    out[#out + 1] = redis.call('HGET', entry, 'status') or 'unknown'
  else
    redis.call('HSET', entry, 'key', ARGV[a], 'person', ARGV[a + 1], 'msg', ARGV[a + 2], 'status', 'queued',
      'attempts', 0, 'deliveries', 0, 'from', 0, 'createdAt', now, 'updatedAt', now, 'dueAt', now,
      'priority', ARGV[a + 3], 'deadline', ARGV[a + 4], 'source', ARGV[a + 5])
    if ARGV[a + 6] ~= '' then
      redis.call('HSET', entry, 'fb', ARGV[a + 6], 'fbl', ARGV[a + 7])
      fbcount(ARGV[a + 6], ARGV[a + 7], 'enqueued', nil)
    end
    redis.call('ZADD', KEYS[1], now, ARGV[a])
    queued = queued + 1
    out[#out + 1] = 1
    out[#out + 1] = 'queued'
  end
end
if queued > 0 then
  redis.call('HINCRBY', KEYS[2], 'status:queued', queued)
end
return out
