// What the live fuzz run does, as plain data drawn from fast-check arbitraries (so a seed and an
// index name one action exactly): WebSocket sessions with random/mutated/truncated/oversized frames,
// raw malformed frames, odd upgrade requests, random HTTP requests (some validly signed and then
// mutated) and slow-loris connections.
import fc from 'fast-check';
import { mutateBytes, mutateString } from './arbitraries.ts';

/** A message template: `sign` is resolved at run time, once the socket id is known. */
export type WsFrame =
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[]; binary: boolean }
  | { kind: 'subscribe'; channel: string; sign: boolean; channelData?: string; mutate?: string }
  | { kind: 'signin'; userData: string; sign: boolean }
  | { kind: 'client'; channel: string; event: string; data: unknown; deep?: number }
  | { kind: 'fragments'; parts: string[] }
  | { kind: 'oversized'; size: number }
  | { kind: 'ping'; payload: number[] };

export interface RawWsFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: number[];
  /** Declare a longer payload than is sent (a truncated frame), or a 64-bit monster length. */
  lie?: 'short' | 'huge';
}

export type Action =
  | { t: 'ws'; path: string; frames: WsFrame[]; end: 'close' | 'terminate' | 'linger' | 'badclose' }
  | { t: 'rawws'; path: string; frames: RawWsFrame[] }
  | { t: 'upgrade'; request: string }
  | { t: 'http'; method: string; path: string; headers: [string, string][]; body: string; chunked: boolean }
  | { t: 'signed'; method: string; path: string; body: string; mutate: 'none' | 'query' | 'body' | 'path' }
  | { t: 'rawhttp'; bytes: number[] }
  | { t: 'slowloris'; head: string; bytesPerTick: number; ticks: number };

const ident = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-_'),
  minLength: 1,
  maxLength: 12,
});
const channelName = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        '',
        'private-',
        'presence-',
        'private-encrypted-',
        'cache-',
        'personal-',
        'peer-',
        '#server-to-user-',
        'private-cache-',
      ),
      ident,
    )
    .map(([p, s]) => p + s),
  fc.string({ maxLength: 30 }),
  fc.constant('x'.repeat(201)),
);
const eventName = fc.oneof(
  fc.constantFrom(
    'pusher:subscribe',
    'pusher:unsubscribe',
    'pusher:ping',
    'pusher:pong',
    'pusher:signin',
    'pusher:latest',
    'client-x',
    'pusher_internal:x',
  ),
  fc.string({ maxLength: 20 }),
);

const validMessage = fc
  .record({
    event: eventName,
    channel: fc.option(channelName, { nil: undefined }),
    data: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.json({ maxDepth: 2 })),
  })
  .map((m) => JSON.stringify(m));

const wsFrame: fc.Arbitrary<WsFrame> = fc.oneof(
  { weight: 4, arbitrary: validMessage.map((text) => ({ kind: 'text' as const, text })) },
  { weight: 4, arbitrary: validMessage.chain(mutateString).map((text) => ({ kind: 'text' as const, text })) },
  {
    weight: 2,
    arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ kind: 'text' as const, text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(validMessage.map((s) => Buffer.from(s)).chain(mutateBytes), fc.boolean())
      .map(([b, binary]) => ({ kind: 'bytes' as const, bytes: [...b], binary })),
  },
  // invalid UTF-8 in a text frame: ws must close 1007, not throw
  {
    weight: 1,
    arbitrary: fc
      .constantFrom([0xc3, 0x28], [0xed, 0xa0, 0x80], [0xff, 0xfe, 0x7b])
      .map((bytes) => ({ kind: 'bytes' as const, bytes: [...bytes], binary: false })),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('subscribe' as const),
      channel: channelName,
      sign: fc.boolean(),
      channelData: fc.option(
        fc.oneof(
          fc.json({ maxDepth: 2 }),
          fc
            .record({ user_id: fc.oneof(ident, fc.string()), user_info: fc.jsonValue({ maxDepth: 2 }) })
            .map((o) => JSON.stringify(o)),
        ),
        { nil: undefined },
      ),
      mutate: fc.option(fc.constantFrom('auth', 'frame', 'deep'), { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('signin' as const),
      userData: fc.oneof(
        fc.json({ maxDepth: 2 }),
        fc.record({ id: ident, watchlist: fc.array(ident, { maxLength: 3 }) }).map((o) => JSON.stringify(o)),
      ),
      sign: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('client' as const),
      channel: channelName,
      event: fc.oneof(fc.constant('client-msg'), fc.string({ maxLength: 210 })),
      data: fc.jsonValue({ maxDepth: 3 }),
      deep: fc.option(fc.constantFrom(10, 3000, 20_000), { nil: undefined }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(fc.string({ maxLength: 30 }), { minLength: 2, maxLength: 5 })
      .map((parts) => ({ kind: 'fragments' as const, parts })),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 3 }).map((k) => ({ kind: 'oversized' as const, size: k * 100 * 1024 })),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 125 }).map((p) => ({ kind: 'ping' as const, payload: [...p] })) },
);

const goodPath = fc.constantFrom('/app/KEY?protocol=7&client=js&version=8.4.0', '/app/KEY', '/app/KEY/?protocol=7');
const weirdPath = fc.oneof(
  fc.constantFrom(
    '/app/%E0%A4%A',
    '//[',
    '/app/KEY?protocol=99',
    '/app/nope?protocol=7',
    '/app/',
    '/app/KEY/extra',
    '/%ZZ',
    '/app/%00',
    '/app/KEY?protocol=7&protocol=5',
  ),
  fc.webPath(),
  goodPath.chain(mutateString),
  fc.string({ maxLength: 40 }).map((s) => `/app/${encodeURIComponent(s)}`),
);

const rawFrame: fc.Arbitrary<RawWsFrame> = fc.record({
  fin: fc.boolean(),
  rsv: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7 })),
  opcode: fc.oneof(fc.constantFrom(0, 1, 2, 8, 9, 10), fc.integer({ min: 0, max: 15 })),
  masked: fc.oneof(fc.constant(true), fc.boolean()),
  payload: fc.oneof(
    validMessage.map((s) => [...Buffer.from(s)]),
    fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 200 }),
  ),
  lie: fc.option(fc.constantFrom('short' as const, 'huge' as const), { nil: undefined }),
});

const METHODS = [
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
  'TRACE',
  'CONNECT',
  'PROPFIND',
  'get',
  'X'.repeat(30),
];
const apiPath = fc.oneof(
  fc.constantFrom(
    '/apps/APP/events',
    '/apps/APP/batch_events',
    '/apps/APP/channels',
    '/apps/APP/channels/presence-a',
    '/apps/APP/channels/presence-a/users',
    '/apps/APP/channels/x/events',
    '/apps/APP/users/u1/terminate_connections',
    '/apps/APP/subscribe',
    '/apps/APP/unsubscribe',
    '/apps/APP/subscriptions',
    '/apps/APP/subscriptions/u1/news',
    '/apps/APP/webhooks/failed',
    '/apps/APP/webhooks/failed/1/retry',
    '/apps',
    '/apps/APP',
    '/apps/APP/rotate_secret',
    '/health',
    '/ready',
    '/metrics',
    '/',
    '/pushi.js',
    '/demo/trigger',
    '/demo/auth',
    '/demo/app.js',
    '//[',
    '/apps/%E0%A4%A/events',
    '/apps/APP/channels/%ZZ',
  ),
  fc.webPath({ size: 'small' }),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `/apps/APP/channels/${encodeURIComponent(s)}`),
);
const header: fc.Arbitrary<[string, string]> = fc.oneof(
  fc.tuple(
    fc.constantFrom(
      'Content-Type',
      'Content-Length',
      'Transfer-Encoding',
      'Authorization',
      'Origin',
      'X-Forwarded-For',
      'Expect',
      'Connection',
      'Range',
    ),
    fc.string({ unit: fc.constantFrom(...'abc0123-9 ,;=/*:'), maxLength: 20 }),
  ),
  fc.tuple(
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz-'), minLength: 1, maxLength: 15 }),
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789 '), maxLength: 30 }),
  ),
);
const triggerBody = fc
  .record(
    {
      name: eventName,
      channel: channelName,
      channels: fc.array(channelName, { maxLength: 3 }),
      data: fc.oneof(fc.json({ maxDepth: 2 }), fc.jsonValue({ maxDepth: 2 })),
      socket_id: fc.string({ maxLength: 12 }),
      info: fc.string({ maxLength: 20 }),
      persist: fc.jsonValue({ maxDepth: 0 }),
      batch: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));
const body = fc.oneof(
  fc.constant(''),
  triggerBody,
  triggerBody.chain(mutateString),
  fc.string({ unit: 'binary', maxLength: 200 }),
);

export const action: fc.Arbitrary<Action> = fc.oneof(
  {
    weight: 30,
    arbitrary: fc.record({
      t: fc.constant('ws' as const),
      path: fc.oneof({ weight: 5, arbitrary: goodPath }, weirdPath),
      frames: fc.array(wsFrame, { minLength: 1, maxLength: 12 }),
      end: fc.constantFrom('close' as const, 'terminate' as const, 'linger' as const, 'badclose' as const),
    }),
  },
  {
    weight: 10,
    arbitrary: fc.record({
      t: fc.constant('rawws' as const),
      path: goodPath,
      frames: fc.array(rawFrame, { minLength: 1, maxLength: 4 }),
    }),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        weirdPath,
        fc.array(header, { maxLength: 4 }),
        fc.constantFrom('dGhlIHNhbXBsZSBub25jZQ==', 'short', ''),
        fc.constantFrom('13', '8', '99', ''),
      )
      .map(([path, hs, key, version]) => ({
        t: 'upgrade' as const,
        request: `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n${hs.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`,
      })),
  },
  {
    weight: 25,
    arbitrary: fc.record({
      t: fc.constant('http' as const),
      method: fc.constantFrom(...METHODS),
      path: apiPath,
      headers: fc.array(header, { maxLength: 5 }),
      body,
      chunked: fc.boolean(),
    }),
  },
  {
    weight: 15,
    arbitrary: fc.record({
      t: fc.constant('signed' as const),
      method: fc.constantFrom('GET', 'POST', 'DELETE'),
      path: apiPath,
      body,
      mutate: fc.constantFrom('none' as const, 'none' as const, 'query' as const, 'body' as const, 'path' as const),
    }),
  },
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        fc.uint8Array({ maxLength: 300 }),
        fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(`${s}\r\n\r\n`)),
      )
      .map((b) => ({ t: 'rawhttp' as const, bytes: [...b] })),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('slowloris' as const),
      head: fc.constantFrom(
        'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ',
        'POST /apps/APP/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{"name":',
        'GET /app/KEY HTTP/1.1\r\nUpgrade: websocket\r\n',
      ),
      bytesPerTick: fc.integer({ min: 1, max: 4 }),
      ticks: fc.integer({ min: 5, max: 40 }),
    }),
  },
);

/** Deterministic batch `i` of actions for a seed. */
export function actionBatch(seed: number, i: number, size: number): Action[] {
  return fc.sample(action, { seed: seed + i * 7919, numRuns: size });
}
