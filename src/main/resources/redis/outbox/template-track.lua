-- After a campaign message went out as an add_msg_template task: notes the task on the entry and schedules
-- the first get_groupmsg_send_result check. Once per entry (a second call changes nothing).
-- KEYS[1] entry hash  KEYS[2] pending tasks zset
-- ARGV[1] key  ARGV[2] task msgid  ARGV[3] sender userid  ARGV[4] external_userid  ARGV[5] first check (epoch ms)
-- Returns 1 when tracked, 0 when the entry is gone or already tracked.
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'tmplMsgId') == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'tmplMsgId', ARGV[2], 'tmplSender', ARGV[3], 'tmplExt', ARGV[4])
redis.call('ZADD', KEYS[2], 'NX', ARGV[5], ARGV[1])
return 1
