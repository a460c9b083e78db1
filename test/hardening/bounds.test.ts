// Resource bounds against hostile clients: bodies refused before they are buffered, WebSocket
// payload limits that hold for lying headers and fragments, header/URL sizes, slow-loris, a client
// that sends but never reads, frames queued before the app is known, and the per-IP connection rate.
// (test/core/limits.test.ts covers the ordinary cases; these are the adversarial ones.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { assertStillServes } from '../helpers/signed-fetch.ts';
import { rawFrame } from './fuzz-run.ts';

const MAX_BODY = 4096;
const MAX_MESSAGE = 4096;
const MAX_BUFFERED = 65536;
let s: TestServer;

before(async () => {
  s = await startServer({
    env: {
      PUSHI_MAX_BODY_BYTES: String(MAX_BODY),
      PUSHI_MAX_MESSAGE_BYTES: String(MAX_MESSAGE),
      PUSHI_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
    },
  });
});
after(() => s.close());

/** Opens a socket, writes `head` (then `more` chunks), resolves with the first bytes of the answer. */
function answer(
  port: number,
  head: string | Buffer,
  more: Buffer[] = [],
): Promise<{ text: string; bytes: Buffer; sock: Socket }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('error', () => undefined);
    sock.on('data', (d) => {
      chunks.push(d);
      const bytes = Buffer.concat(chunks);
      const text = bytes.toString('latin1');
      if (text.includes('\r\n\r\n')) resolve({ text, bytes, sock });
    });
    sock.on('close', () =>
      reject(new Error(`closed without an answer: ${Buffer.concat(chunks).toString('latin1').slice(0, 200)}`)),
    );
    sock.write(head);
    for (const m of more) sock.write(m);
  });
}

const status = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);

describe('request bodies (PUSHI_MAX_BODY_BYTES) are refused before they are buffered', () => {
  test('Content-Length over the limit: 413 before a single body byte is sent', async () => {
    const a = await answer(
      s.httpPort,
      'POST /apps/test-app/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n',
    );
    assert.equal(status(a.text), 413);
    a.sock.destroy();
  });

  test('a chunked body that passes the limit and never ends still gets its 413', async () => {
    const chunk = Buffer.from(`400\r\n${'x'.repeat(0x400)}\r\n`);
    // limit + 1 KB in chunks, and no terminating 0-chunk: a server buffering to the end would never answer
    const chunks = Array.from({ length: MAX_BODY / 0x400 + 1 }, () => chunk);
    const a = await answer(
      s.httpPort,
      'POST /apps/test-app/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n',
      chunks,
    );
    assert.equal(status(a.text), 413);
    a.sock.destroy();
  });

  test('the same before any signature check: unsigned requests to any path are bounded too', async () => {
    const a = await answer(
      s.httpPort,
      'PUT /apps/nope/anything HTTP/1.1\r\nHost: x\r\nContent-Length: 50000000\r\n\r\n',
    );
    assert.ok([404, 405, 413].includes(status(a.text)), a.text.slice(0, 80));
    a.sock.destroy();
    await assertStillServes(s);
  });
});

/** Upgrades a raw socket to a WebSocket on /app/{key}; resolves with the socket after the 101. */
async function rawWs(): Promise<{ sock: Socket; after: () => Buffer }> {
  const key = randomBytes(16).toString('base64');
  const a = await answer(
    s.wsPort,
    `GET /app/${s.app.key}?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  assert.equal(status(a.text), 101);
  const chunks = [a.bytes];
  a.sock.on('data', (d) => chunks.push(d));
  return { sock: a.sock, after: () => Buffer.concat(chunks).subarray(Buffer.concat(chunks).indexOf('\r\n\r\n') + 4) };
}

/** The close code in the first close frame (opcode 8) among server frames. */
function closeCode(frames: Buffer): number | undefined {
  for (let i = 0; i < frames.length;) {
    const op = frames[i] & 0x0f;
    let len = frames[i + 1] & 0x7f;
    let at = i + 2;
    if (len === 126) {
      len = frames.readUInt16BE(at);
      at += 2;
    }
    if (op === 8) return frames.readUInt16BE(at);
    i = at + len;
  }
  return undefined;
}

describe('WebSocket payloads (PUSHI_MAX_MESSAGE_BYTES → 1009)', () => {
  test('a frame header announcing ~2^53 bytes is refused with 1009 before any payload', async () => {
    const { sock, after: frames } = await rawWs();
    sock.write(rawFrame({ fin: true, rsv: 0, opcode: 1, masked: true, payload: [], lie: 'huge' }));
    await new Promise((r) => sock.once('close', r));
    assert.equal(closeCode(frames()), 1009);
  });

  test('fragments that are each small but add up past the limit: 1009', async () => {
    const c = await RawClient.established(s.wsUrl());
    const part = 'x'.repeat(MAX_MESSAGE / 2);
    for (let i = 0; i < 3; i++) c.ws.send(part, { fin: i === 2, binary: false });
    assert.equal(await c.waitClose(), 1009);
  });

  test('a socket that floods frames before its app is known is cut off (4100), not buffered', async () => {
    const apps = s.server.apps as { findByKey: (k: string) => Promise<unknown>; peekByKey?: (k: string) => unknown };
    const original = apps.findByKey;
    const originalPeek = apps.peekByKey;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    apps.peekByKey = () => undefined; // not cached: the lookup goes to the store...
    apps.findByKey = async (k) => (await gate, original.call(apps, k)); // ...which is slow to answer
    try {
      const c = await RawClient.connect(s.wsUrl());
      for (let i = 0; i < 500; i++) c.send({ event: 'pusher:ping', data: {} });
      assert.equal(await c.waitClose(10_000), 4100);
      assert.equal(decode(c.events('pusher:error')[0]).code, 4100);
    } finally {
      apps.findByKey = original;
      apps.peekByKey = originalPeek;
      release();
    }
    await assertStillServes(s);
  });
});

describe('headers and URLs are bounded (Node default 16 KB → 431)', () => {
  const cases: [string, (port: number) => string][] = [
    ['one 17 KB header', () => `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`],
    ['a 20 KB URL', () => `GET /health?q=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`],
    [
      'many small headers adding up past 16 KB',
      () =>
        `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 90 }, (_, i) => `X-H${i}: ${'v'.repeat(200)}\r\n`).join('')}\r\n`,
    ],
  ];
  for (const [what, request] of cases) {
    test(`${what}: 431 on the API port and on the WebSocket port`, async () => {
      for (const port of [s.httpPort, s.wsPort]) {
        const a = await answer(port, request(port));
        assert.equal(status(a.text), 431, `port ${port}: ${a.text.slice(0, 60)}`);
        a.sock.destroy();
      }
    });
  }
  test('a huge upgrade request is refused the same way', async () => {
    const a = await answer(
      s.wsPort,
      `GET /app/${s.app.key}?x=${'a'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
    );
    assert.equal(status(a.text), 431);
    a.sock.destroy();
    await assertStillServes(s);
  });
});

test('slow-loris: 200 connections dribbling headers do not keep a normal client out', async () => {
  const slow: Socket[] = [];
  for (let i = 0; i < 200; i++) {
    const sock = connect(i % 2 ? s.httpPort : s.wsPort, '127.0.0.1');
    sock.on('error', () => undefined);
    sock.write(
      i % 2
        ? 'POST /apps/test-app/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"na'
        : 'GET /app/test-key HTTP/1.1\r\nHost: x\r\nX-Slow: a',
    );
    slow.push(sock);
  }
  try {
    for (const sock of slow) sock.write('a');
    await assertStillServes(s);
  } finally {
    for (const sock of slow) sock.destroy();
  }
});

test(
  'a client that sends but never reads is cut off (4100) before its buffer passes the bound',
  { timeout: 120_000 },
  async () => {
    const c = await RawClient.established(s.wsUrl());
    const raw = (c.ws as unknown as { _socket: Socket })._socket;
    raw.pause(); // stop reading: the pongs the server owes us pile up on its side
    const conn = () => s.server.hub.states.get(s.app.id)?.connections.get(c.socketId);
    const ping = JSON.stringify({ event: 'pusher:ping', data: {} });
    let most = 0;
    for (let round = 0; round < 400 && conn() && !conn()!.closed; round++) {
      for (let i = 0; i < 2000; i++) c.ws.send(ping);
      await new Promise((r) => setTimeout(r, 20)); // let the server read and answer this round
      most = Math.max(most, conn()?.socket.bufferedAmount ?? 0);
    }
    assert.equal(conn()?.closed ?? true, true, 'cut off');
    assert.ok(most <= MAX_BUFFERED + 1024, `server-side buffer stayed bounded (peak ${most} bytes)`);
    raw.resume();
    assert.equal(await c.waitClose(60_000), 4100);
    await assertStillServes(s);
  },
);

describe('per-IP WebSocket connection rate (PUSHI_MAX_CONNECTIONS_PER_IP)', () => {
  let limited: TestServer;
  before(async () => (limited = await startServer({ env: { PUSHI_MAX_CONNECTIONS_PER_IP: '2' } })));
  after(() => limited.close());

  test('past the rate: pusher:error 4100 and close 4100; a spoofed X-Forwarded-For does not help', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        new Promise<number | 'ok'>((resolve) => {
          const ws = new WebSocket(limited.wsUrl(), { headers: { 'X-Forwarded-For': `10.0.${i}.1` } });
          ws.on('message', (m) => {
            if (String(m).includes('connection_established')) resolve('ok');
          });
          ws.on('close', (code) => resolve(code));
          ws.on('error', () => undefined);
          setTimeout(() => ws.close(), 5000).unref();
        }).then((r) => r),
      ),
    );
    const refused = results.filter((r) => r === 4100).length;
    assert.ok(refused >= 20, `refused ${refused} of 40: ${results.join(',')}`);
    assert.ok(
      results.every((r) => r === 'ok' || r === 4100),
      results.join(','),
    );
  });
});
