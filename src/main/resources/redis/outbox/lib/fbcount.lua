-- Included by claim.lua and finish.lua (LuaScripts '--! include'): counts one outcome into the entry's run
-- feedback hash (fields 'fb' key, 'fbl' labels on the entry): counter, counter:detail, and l:<label>:counter
-- per breakdown label. Nothing when the entry carries no feedback.
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
