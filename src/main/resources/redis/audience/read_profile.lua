-- Returns a person's hash as ONE bulk string, so the client decodes one value per profile instead of one
-- per field and value (~110 for a typical person): the full passes read every profile, and decoding was
-- most of their client-side cost. Format: <number of elements> US field US value US field ... (US = byte
-- 0x1f). A field or value containing 0x1f makes the count disagree and the caller falls back to HGETALL;
-- UTF-8 multi-byte characters never contain that byte.
-- KEYS[1] person hash. Returns '' when the hash does not exist.
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then
  return ''
end
return #h .. '\31' .. table.concat(h, '\31')
