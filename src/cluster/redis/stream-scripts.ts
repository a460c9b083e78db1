// Channel streams in Redis (delivery continuity): a capped Redis stream of each channel's recent
// frames and a hash with its epoch and last offset. Appending an event and publishing it on the
// bus happen in one script, so every node and every client sees the same offsets in the same order.
//
// Keys (bus.ts): the channel's :sm {e: epoch, o: last offset} and :s, the stream of {o: offset,
// f: frame, x: except socket id, n: node}. Both expire after the recovery window without events; a
// missing hash means a new epoch on the next event. Both share the slot of the channel's topic.
import type { Redis } from 'ioredis';

// KEYS: :sm, :s, :last. ARGV: newEpoch, maxEvents, windowMs, busHeadOpen, frameOpen, except, node,
// topic, pub, cacheTtlMs (0: not a cache channel). busHeadOpen is the bus header's JSON array
// without its closing ']'; frameOpen the frame without its closing '}'. Returns {epoch, offset}.
const APPEND = `
local sm, sk = KEYS[1], KEYS[2]
local epoch = redis.call('HGET', sm, 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', sk)
  redis.call('HSET', sm, 'e', epoch, 'o', 0)
end
local offset = redis.call('HINCRBY', sm, 'o', 1)
local frame = ARGV[5] .. ',"epoch":"' .. epoch .. '","offset":' .. offset .. '}'
redis.call('XADD', sk, 'MAXLEN', ARGV[2], '*', 'o', offset, 'f', frame, 'x', ARGV[6], 'n', ARGV[7])
redis.call('PEXPIRE', sk, ARGV[3])
redis.call('PEXPIRE', sm, ARGV[3])
if tonumber(ARGV[10]) > 0 then redis.call('SET', KEYS[3], frame, 'PX', ARGV[10]) end
redis.call(ARGV[9], ARGV[8], ARGV[4] .. ',"' .. epoch .. '",' .. offset .. ']\\n' .. frame)
return {epoch, offset}
`;

// KEYS: :sm, :s. ARGV: newEpoch, windowMs, sinceEpoch ('' = none), sinceOffset, node, token, topic,
// pub. Returns {epoch, lastOffset, recovered (1|0), then frame, except, node per missed event, oldest
// first}. With no stream yet it starts one at offset 0, so a subscriber's position is always known.
// Last, it publishes a marker for the reading node on the channel's topic: arriving after every
// event up to lastOffset (continuity.ts).
const RECOVER = `
local sm, sk = KEYS[1], KEYS[2]
local function read()
  local epoch = redis.call('HGET', sm, 'e')
  if not epoch then
    epoch = ARGV[1]
    redis.call('DEL', sk)
    redis.call('HSET', sm, 'e', epoch, 'o', 0)
    redis.call('PEXPIRE', sm, ARGV[2])
  end
  local last = tonumber(redis.call('HGET', sm, 'o'))
  local since = tonumber(ARGV[4])
  if ARGV[3] == '' or ARGV[3] ~= epoch or since > last then return {epoch, last, 0} end
  local n = last - since
  if n == 0 then return {epoch, last, 1} end
  local entries = redis.call('XREVRANGE', sk, '+', '-', 'COUNT', n)
  if #entries < n then return {epoch, last, 0} end
  local now = redis.call('TIME')
  local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local at = tonumber(string.match(entries[n][1], '^(%d+)'))
  if at < nowMs - tonumber(ARGV[2]) then return {epoch, last, 0} end
  local out = {epoch, last, 1}
  for i = n, 1, -1 do
    local f = entries[i][2]
    local fields = {}
    for j = 1, #f, 2 do fields[f[j]] = f[j + 1] end
    if tonumber(fields.o) ~= since + n - i + 1 then return {epoch, last, 0} end
    out[#out + 1] = fields.f
    out[#out + 1] = fields.x
    out[#out + 1] = fields.n
  end
  return out
end
local out = read()
redis.call(ARGV[8], ARGV[7], cjson.encode({'k', ARGV[5], ARGV[6], 0}) .. '\\n')
return out
`;

type Arg = string | number | Buffer;

export interface StreamScripts {
  append(keys: [string, string, string], ...args: Arg[]): Promise<[string, number]>;
  recover(keys: [string, string], ...args: Arg[]): Promise<(string | number | Buffer)[]>;
}

export function defineStreamScripts(redis: Redis): StreamScripts {
  redis.defineCommand('pushiAppend', { numberOfKeys: 3, lua: APPEND });
  redis.defineCommand('pushiRecover', { numberOfKeys: 2, lua: RECOVER });
  const r = redis as unknown as Record<string, (...a: Arg[]) => Promise<never>>;
  return {
    append: (keys, ...a) => r.pushiAppend(...keys, ...a),
    // Frames come back as Buffers: their bytes go to sockets untouched.
    recover: (keys, ...a) => r.pushiRecoverBuffer(...keys, ...a),
  };
}
