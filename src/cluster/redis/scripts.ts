// Lua run atomically inside Redis: every first/last decision is made here, so two nodes racing
// cannot both announce (or both miss) a member or an occupied channel. Nodes always send their
// ABSOLUTE local count (never a delta), so replaying a write after a reconnect is harmless, and the
// reaper undoes a dead node's share by writing zero in its name. Each script touches the keys of
// one hash slot (bus.ts) and announces on that slot's topic, so it runs on a Redis Cluster too;
// `pub` is PUBLISH on a single server and SPUBLISH (sharded pub/sub) on a cluster.
import type { Redis } from 'ioredis';

// KEYS: :pc, :pi, :pn of the channel. ARGV: node, A, channel, user, localCount, infoJson,
// maxMembers (0 = no limit), markerToken ('' = none), wantSnapshot ('1' | '0'), topic, pub.
// Returns 1 member added, 2 member removed, 0 nothing to announce, -1 full.
const PRESENCE = `
local pc, pi, pn = KEYS[1], KEYS[2], KEYS[3]
local node, app, channel, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local value, info, max, token, topic, pub = tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7]), ARGV[8], ARGV[10], ARGV[11]
local result = 0
local field = node .. '\\0' .. user
local old = tonumber(redis.call('HGET', pn, field) or '0')
if value ~= old then
  local before = tonumber(redis.call('HGET', pc, user) or '0')
  if before <= 0 and value > 0 and max > 0 and redis.call('HLEN', pc) >= max then
    result = -1
  else
    if value > 0 then redis.call('HSET', pn, field, value) else redis.call('HDEL', pn, field) end
    local after = redis.call('HINCRBY', pc, user, value - old)
    if after <= 0 then
      redis.call('HDEL', pc, user)
      redis.call('HDEL', pi, user)
      if before > 0 then
        redis.call(pub, topic, cjson.encode({'m-', node, app, channel, user}) .. '\\n')
        result = 2
      end
    elseif before <= 0 then
      redis.call('HSET', pi, user, info)
      redis.call(pub, topic, cjson.encode({'m+', node, app, channel, user}) .. '\\n' .. info)
      result = 1
    end
  end
end
if token ~= '' then
  local body = ''
  if ARGV[9] == '1' and result ~= -1 then body = cjson.encode(redis.call('HGETALL', pi)) end
  redis.call(pub, topic, cjson.encode({'k', node, token, result}) .. '\\n' .. body)
end
return result
`;

// KEYS: the channel's :cn. ARGV: node, A, channel, localCount, announce ('1' | '0'), topic, pub.
// Returns {totalAfter, totalBefore}. The count is announced on the channel's topic from inside the
// script, so announcements are ordered exactly as the changes were made even when nodes race.
const SUBSCRIBERS = `
local cn = KEYS[1]
local node, app, channel, value = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local old = tonumber(redis.call('HGET', cn, node) or '0')
local before = tonumber(redis.call('HGET', cn, '*') or '0')
if value == old then return {before, before} end
if value > 0 then redis.call('HSET', cn, node, value) else redis.call('HDEL', cn, node) end
local after = before + value - old
if after <= 0 then after = 0; redis.call('DEL', cn) else redis.call('HSET', cn, '*', after) end
if ARGV[5] == '1' and after ~= before then
  redis.call(ARGV[7], ARGV[6], cjson.encode({'c', node, app, channel, after}) .. '\\n')
end
return {after, before}
`;

// KEYS: the app's :u and :un. ARGV: node, A, user, localCount, control bus.
// Returns {totalAfter, totalBefore}; online/offline goes to watchers over the control bus.
const USERS = `
local u, un = KEYS[1], KEYS[2]
local node, app, user, value = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local field = node .. '\\0' .. user
local old = tonumber(redis.call('HGET', un, field) or '0')
local before = tonumber(redis.call('HGET', u, user) or '0')
if value == old then return {before, before} end
if value > 0 then redis.call('HSET', un, field, value) else redis.call('HDEL', un, field) end
local after = before + value - old
if after <= 0 then after = 0; redis.call('HDEL', u, user) else redis.call('HSET', u, user, after) end
if (before == 0) ~= (after == 0) then
  local what = 'offline'
  if after > 0 then what = 'online' end
  redis.call('PUBLISH', ARGV[5], cjson.encode({'w', node, app, user, what}) .. '\\n')
end
return {after, before}
`;

// A marker for one node carrying the member list: everything published before it is in it.
// KEYS: the channel's :pi. ARGV: node, token, topic, pub.
const SNAPSHOT = `
local body = cjson.encode(redis.call('HGETALL', KEYS[1]))
redis.call(ARGV[4], ARGV[3], cjson.encode({'k', ARGV[1], ARGV[2], 0}) .. '\\n' .. body)
return 0
`;

// Releases the reap lock only if we still hold it.
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

type Arg = string | number;

/** The scripts bound to one connection (ioredis sends EVALSHA and falls back to EVAL). */
export interface Scripts {
  presence(keys: [string, string, string], ...args: Arg[]): Promise<number>;
  subscribers(key: string, ...args: Arg[]): Promise<[number, number]>;
  users(keys: [string, string], ...args: Arg[]): Promise<[number, number]>;
  snapshot(key: string, ...args: Arg[]): Promise<number>;
  unlock(key: string, value: string): Promise<number>;
}

export function defineScripts(redis: Redis): Scripts {
  redis.defineCommand('pushiPresence', { numberOfKeys: 3, lua: PRESENCE });
  redis.defineCommand('pushiSubscribers', { numberOfKeys: 1, lua: SUBSCRIBERS });
  redis.defineCommand('pushiUsers', { numberOfKeys: 2, lua: USERS });
  redis.defineCommand('pushiSnapshot', { numberOfKeys: 1, lua: SNAPSHOT });
  redis.defineCommand('pushiUnlock', { numberOfKeys: 1, lua: UNLOCK });
  const r = redis as unknown as Record<string, (...a: Arg[]) => Promise<never>>;
  return {
    presence: (keys, ...a) => r.pushiPresence(...keys, ...a),
    subscribers: (key, ...a) => r.pushiSubscribers(key, ...a),
    users: (keys, ...a) => r.pushiUsers(...keys, ...a),
    snapshot: (key, ...a) => r.pushiSnapshot(key, ...a),
    unlock: (key, value) => r.pushiUnlock(key, value),
  };
}
