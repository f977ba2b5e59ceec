-- Records outbox entries once per key and schedules them: N messages in one call (a single enqueue is
-- N = 1; the campaign planner sends a batch). A known key changes nothing.
-- KEYS[1] due zset  KEYS[2] stats hash  KEYS[2 + i] entry hash of message i (i = 1..N)
-- ARGV[1] now (epoch ms)
-- Message i's fields start at ARGV[2 + (i - 1) * 8] (stride 8, OutboxStore.ENQUEUE_STRIDE):
--   +0 key  +1 person id ('' for none)  +2 message JSON  +3 priority  +4 deadline (epoch ms, '' for none)  +5 source
--   +6 feedback hash key (a campaign run's siyu:{outbox}:fb:<runId>, '' none)  +7 its labels (comma-joined)
-- Returns, per message in order, 1 (recorded, status queued) or 0 (key already known) followed by the status:
-- {new_1, status_1, new_2, status_2, ...}.
-- Feedback: 'enqueued' is counted into the entry's run feedback hash (fields 'fb' key, 'fbl' labels on the
-- entry), also per breakdown label as l:<label>:enqueued. A batch shares its run and mostly its labels, so the
-- counts are summed here and written once per field instead of two or more HINCRBYs per message.
local fbsum = {}
local function fbadd(fb, labels)
  local h = fbsum[fb]
  if h == nil then
    h = {}
    fbsum[fb] = h
  end
  h['enqueued'] = (h['enqueued'] or 0) + 1
  for l in string.gmatch(labels, '[^,]+') do
    local f = 'l:' .. l .. ':enqueued'
    h[f] = (h[f] or 0) + 1
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
    if ARGV[a + 6] ~= '' then
      redis.call('HSET', entry, 'key', ARGV[a], 'person', ARGV[a + 1], 'msg', ARGV[a + 2], 'status', 'queued',
        'attempts', 0, 'deliveries', 0, 'from', 0, 'createdAt', now, 'updatedAt', now, 'dueAt', now,
        'priority', ARGV[a + 3], 'deadline', ARGV[a + 4], 'source', ARGV[a + 5], 'fb', ARGV[a + 6], 'fbl', ARGV[a + 7])
      fbadd(ARGV[a + 6], ARGV[a + 7])
    else
      redis.call('HSET', entry, 'key', ARGV[a], 'person', ARGV[a + 1], 'msg', ARGV[a + 2], 'status', 'queued',
        'attempts', 0, 'deliveries', 0, 'from', 0, 'createdAt', now, 'updatedAt', now, 'dueAt', now,
        'priority', ARGV[a + 3], 'deadline', ARGV[a + 4], 'source', ARGV[a + 5])
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
for fb, h in pairs(fbsum) do
  for f, n in pairs(h) do
    redis.call('HINCRBY', fb, f, n)
  end
end
return out
