// Lua run atomically inside Redis: every first/last decision is made here, so two nodes racing
// cannot both announce (or both miss) a member or an occupied channel. Nodes always send their
// ABSOLUTE local count (never a delta), so replaying a write after a reconnect is harmless.
// Keys are built from the prefix passed in ARGV (standalone Redis; not Redis Cluster slots).
import type { Redis } from 'ioredis';

// ARGV: prefix, node, A, channel, user, localCount, infoJson, maxMembers (0 = no limit),
//       markerToken ('' = none), wantSnapshot ('1' | '0').
// Returns 1 member added, 2 member removed, 0 nothing to announce, -1 full, -2 node not registered.
const PRESENCE = `
local P, node, app, channel, user = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local value, info, max, token = tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]), ARGV[9]
local pc, pi = P .. 'pc:' .. app .. ':' .. channel, P .. 'pi:' .. app .. ':' .. channel
local result = 0
if redis.call('EXISTS', P .. 'hb:' .. node) == 0 then
  result = -2
else
  local nh = P .. 'n:' .. node
  local field = 'p\\0' .. app .. '\\0' .. channel .. '\\0' .. user
  local old = tonumber(redis.call('HGET', nh, field) or '0')
  if value ~= old then
    local before = tonumber(redis.call('HGET', pc, user) or '0')
    if before <= 0 and value > 0 and max > 0 and redis.call('HLEN', pc) >= max then
      result = -1
    else
      if value > 0 then redis.call('HSET', nh, field, value) else redis.call('HDEL', nh, field) end
      local after = redis.call('HINCRBY', pc, user, value - old)
      if after <= 0 then
        redis.call('HDEL', pc, user)
        redis.call('HDEL', pi, user)
        if before > 0 then
          redis.call('PUBLISH', P .. 'bus', cjson.encode({'m-', node, app, channel, user}) .. '\\n')
          result = 2
        end
      elseif before <= 0 then
        redis.call('HSET', pi, user, info)
        redis.call('PUBLISH', P .. 'bus', cjson.encode({'m+', node, app, channel, user}) .. '\\n' .. info)
        result = 1
      end
    end
  end
end
if token ~= '' then
  local body = ''
  if ARGV[10] == '1' and result ~= -1 then body = cjson.encode(redis.call('HGETALL', pi)) end
  redis.call('PUBLISH', P .. 'bus:' .. node, cjson.encode({'k', node, token, result}) .. '\\n' .. body)
end
return result
`;

// Announcements go out from inside the scripts, so they are ordered exactly as the changes were
// made even when two nodes race (a node publishing after the reply could overtake the other).
const ANNOUNCE = `
local function announce(P, node, kind, app, name, after, before, counted)
  if kind == 's' and counted then
    redis.call('PUBLISH', P .. 'bus', cjson.encode({'c', node, app, name, after}) .. '\\n')
  elseif kind == 'u' and (before == 0) ~= (after == 0) then
    local what = 'offline'
    if after > 0 then what = 'online' end
    redis.call('PUBLISH', P .. 'bus', cjson.encode({'w', node, app, name, what}) .. '\\n')
  end
end
`;

// ARGV: prefix, node, then groups of (kind 's'|'u', A, name, localCount, announceCount '1'|'0').
// Returns -2 when the node is not registered, else flat (kind, A, name, totalAfter, totalBefore)
// for every total that changed.
const COUNTS = `${ANNOUNCE}
local P, node = ARGV[1], ARGV[2]
if redis.call('EXISTS', P .. 'hb:' .. node) == 0 then return -2 end
local nh = P .. 'n:' .. node
local out = {}
for i = 3, #ARGV, 5 do
  local kind, app, name, value = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local field = kind .. '\\0' .. app .. '\\0' .. name
  local old = tonumber(redis.call('HGET', nh, field) or '0')
  if value ~= old then
    if value > 0 then redis.call('HSET', nh, field, value) else redis.call('HDEL', nh, field) end
    local th = P .. 'c:' .. kind .. ':' .. app
    local before = tonumber(redis.call('HGET', th, name) or '0')
    local after = before + value - old
    if after <= 0 then after = 0; redis.call('HDEL', th, name) else redis.call('HSET', th, name, after) end
    if after ~= before then
      out[#out + 1] = kind; out[#out + 1] = app; out[#out + 1] = name
      out[#out + 1] = after; out[#out + 1] = before
      announce(P, node, kind, app, name, after, before, ARGV[i + 4] == '1')
    end
  end
end
return out
`;

// Removes a dead node's share, a slice at a time (HSCAN) so Redis never blocks for long.
// ARGV: prefix, deadNode, cursor, count. Returns {'alive'} if the node came back, else
// {nextCursor, then (kind, A, name, totalAfter, totalBefore) per change}; for presence the
// name is channel\\0user and the totals are member connection counts.
const REAP = `${ANNOUNCE}
local P, node, cursor, count = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
if redis.call('EXISTS', P .. 'hb:' .. node) == 1 then return {'alive'} end
local nh = P .. 'n:' .. node
local scan = redis.call('HSCAN', nh, cursor, 'COUNT', count)
local kv = scan[2]
local out = {scan[1]}
for i = 1, #kv, 2 do
  local field, value = kv[i], tonumber(kv[i + 1])
  redis.call('HDEL', nh, field)
  local kind = string.sub(field, 1, 1)
  local a = string.find(field, '\\0', 3, true)
  local app, name = string.sub(field, 3, a - 1), string.sub(field, a + 1)
  if kind == 'p' then
    local b = string.find(name, '\\0', 1, true)
    local channel, user = string.sub(name, 1, b - 1), string.sub(name, b + 1)
    local pc = P .. 'pc:' .. app .. ':' .. channel
    local before = tonumber(redis.call('HGET', pc, user) or '0')
    local after = redis.call('HINCRBY', pc, user, -value)
    if after <= 0 then
      after = 0
      redis.call('HDEL', pc, user)
      redis.call('HDEL', P .. 'pi:' .. app .. ':' .. channel, user)
      if before > 0 then
        redis.call('PUBLISH', P .. 'bus', cjson.encode({'m-', node, app, channel, user}) .. '\\n')
      end
    end
    out[#out + 1] = kind; out[#out + 1] = app; out[#out + 1] = name; out[#out + 1] = after; out[#out + 1] = before
  else
    local th = P .. 'c:' .. kind .. ':' .. app
    local before = tonumber(redis.call('HGET', th, name) or '0')
    local after = before - value
    if after <= 0 then after = 0; redis.call('HDEL', th, name) else redis.call('HSET', th, name, after) end
    out[#out + 1] = kind; out[#out + 1] = app; out[#out + 1] = name; out[#out + 1] = after; out[#out + 1] = before
    -- apps' subscription_count option is unknown here: announce, nodes without it ignore it
    announce(P, node, kind, app, name, after, before, string.sub(name, 1, 9) ~= 'presence-')
  end
end
if scan[1] == '0' then
  redis.call('DEL', nh)
  redis.call('SREM', P .. 'nodes', node)
end
return out
`;

// A marker on bus:<node> carrying the member list: everything published before it is in it.
// ARGV: prefix, node, A, channel, token.
const SNAPSHOT = `
local P, node, app, channel, token = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local body = cjson.encode(redis.call('HGETALL', P .. 'pi:' .. app .. ':' .. channel))
redis.call('PUBLISH', P .. 'bus:' .. node, cjson.encode({'k', node, token, 0}) .. '\\n' .. body)
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
  presence(...args: Arg[]): Promise<number>;
  counts(...args: Arg[]): Promise<number | (string | number)[]>;
  reap(...args: Arg[]): Promise<(string | number)[]>;
  snapshot(...args: Arg[]): Promise<number>;
  unlock(key: string, value: string): Promise<number>;
}

export function defineScripts(redis: Redis): Scripts {
  redis.defineCommand('pushiPresence', { numberOfKeys: 0, lua: PRESENCE });
  redis.defineCommand('pushiCounts', { numberOfKeys: 0, lua: COUNTS });
  redis.defineCommand('pushiReap', { numberOfKeys: 0, lua: REAP });
  redis.defineCommand('pushiSnapshot', { numberOfKeys: 0, lua: SNAPSHOT });
  redis.defineCommand('pushiUnlock', { numberOfKeys: 1, lua: UNLOCK });
  const r = redis as unknown as Record<string, (...a: Arg[]) => Promise<never>>;
  return {
    presence: (...a) => r.pushiPresence(...a),
    counts: (...a) => r.pushiCounts(...a),
    reap: (...a) => r.pushiReap(...a),
    snapshot: (...a) => r.pushiSnapshot(...a),
    unlock: (key, value) => r.pushiUnlock(key, value),
  };
}
