// Channel streams in Redis (delivery continuity): a capped Redis stream of each channel's recent
// frames and a hash with its epoch and last offset. Appending an event and publishing it on the
// bus happen in one script, so every node and every client sees the same offsets in the same order.
//
// Keys (P prefix, A app id URI-encoded): P sm:A:<channel> {e: epoch, o: last offset},
// P s:A:<channel> the stream of {o: offset, f: frame, x: except socket id}. Both expire after the
// recovery window without events; a missing hash means a new epoch on the next event.
import type { Redis } from 'ioredis';

// ARGV: prefix, A, channel, newEpoch, maxEvents, windowMs, busHeadOpen, frameOpen, except, node.
// busHeadOpen is the bus header's JSON array without its closing ']'; frameOpen the frame without
// its closing '}'. Returns the event's offset.
const APPEND = `
local P, app, channel = ARGV[1], ARGV[2], ARGV[3]
local sm, sk = P .. 'sm:' .. app .. ':' .. channel, P .. 's:' .. app .. ':' .. channel
local epoch = redis.call('HGET', sm, 'e')
if not epoch then
  epoch = ARGV[4]
  redis.call('DEL', sk)
  redis.call('HSET', sm, 'e', epoch, 'o', 0)
end
local offset = redis.call('HINCRBY', sm, 'o', 1)
local frame = ARGV[8] .. ',"epoch":"' .. epoch .. '","offset":' .. offset .. '}'
redis.call('XADD', sk, 'MAXLEN', ARGV[5], '*', 'o', offset, 'f', frame, 'x', ARGV[9], 'n', ARGV[10])
redis.call('PEXPIRE', sk, ARGV[6])
redis.call('PEXPIRE', sm, ARGV[6])
redis.call('PUBLISH', P .. 'bus', ARGV[7] .. ',"' .. epoch .. '",' .. offset .. ']\\n' .. frame)
return offset
`;

// ARGV: prefix, A, channel, newEpoch, windowMs, sinceEpoch ('' = none), sinceOffset, node, token.
// Returns {epoch, lastOffset, recovered (1|0), then frame, except, node per missed event, oldest first}.
// With no stream yet it starts one at offset 0, so a subscriber's position is always known. Last, it
// publishes a marker to the reading node: arriving after every event up to lastOffset (continuity.ts).
const RECOVER = `
local P, app, channel = ARGV[1], ARGV[2], ARGV[3]
local sm, sk = P .. 'sm:' .. app .. ':' .. channel, P .. 's:' .. app .. ':' .. channel
local function read()
  local epoch = redis.call('HGET', sm, 'e')
  if not epoch then
    epoch = ARGV[4]
    redis.call('DEL', sk)
    redis.call('HSET', sm, 'e', epoch, 'o', 0)
    redis.call('PEXPIRE', sm, ARGV[5])
  end
  local last = tonumber(redis.call('HGET', sm, 'o'))
  local since = tonumber(ARGV[7])
  if ARGV[6] == '' or ARGV[6] ~= epoch or since > last then return {epoch, last, 0} end
  local n = last - since
  if n == 0 then return {epoch, last, 1} end
  local entries = redis.call('XREVRANGE', sk, '+', '-', 'COUNT', n)
  if #entries < n then return {epoch, last, 0} end
  local now = redis.call('TIME')
  local nowMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  local at = tonumber(string.match(entries[n][1], '^(%d+)'))
  if at < nowMs - tonumber(ARGV[5]) then return {epoch, last, 0} end
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
redis.call('PUBLISH', P .. 'bus:' .. ARGV[8], cjson.encode({'k', ARGV[8], ARGV[9], 0}) .. '\\n')
return out
`;

type Arg = string | number | Buffer;

export interface StreamScripts {
  append(...args: Arg[]): Promise<number>;
  recover(...args: Arg[]): Promise<(string | number | Buffer)[]>;
}

export function defineStreamScripts(redis: Redis): StreamScripts {
  redis.defineCommand('pushiAppend', { numberOfKeys: 0, lua: APPEND });
  redis.defineCommand('pushiRecover', { numberOfKeys: 0, lua: RECOVER });
  const r = redis as unknown as Record<string, (...a: Arg[]) => Promise<never>>;
  return {
    append: (...a) => r.pushiAppend(...a),
    // Frames come back as Buffers: their bytes go to sockets untouched.
    recover: (...a) => r.pushiRecoverBuffer(...a),
  };
}
