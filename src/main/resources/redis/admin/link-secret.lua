-- The install's signed-link secret: the first instance to start stores its random candidate, every
-- instance (and every restart) then reads the same value.
-- KEYS[1] secret key; ARGV[1] candidate secret. Returns the stored secret.
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
