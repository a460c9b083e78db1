// The WebSocket transport on its own, with a hub whose app lookup the test finishes by hand: frames
// that arrive before the lookup, a client that leaves during it, and WebSocket-level ping/pong as
// proof of life. Real sockets on an ephemeral port; the hub is a recording stand-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WsTransport } from '../../src/transport/ws-transport.ts';
import type { Hub } from '../../src/hub/hub.ts';
import type { Connection, SocketLike } from '../../src/hub/connection.ts';
import { RawClient, decode } from '../helpers/raw-client.ts';
import { clientFrame } from '../helpers/frames.ts';

interface Opening {
  socket: SocketLike;
  finish: (conn: Connection | undefined) => void;
}

/** Records what the transport hands the hub; `open` waits until the test calls finish(). */
class RecordingHub {
  readonly openings: Opening[] = [];
  readonly calls: string[] = [];
  private waiters: Array<() => void> = [];
  open(socket: SocketLike, appKey: string): Connection | undefined | Promise<Connection | undefined> {
    if (appKey === 'cached') {
      // An app the hub knows already: admitted at once, as the real hub does from its cache
      // (test/core/handshake.test.ts checks the real hub does).
      socket.send('{"event":"pusher:connection_established","data":"{}"}');
      return fakeConn('cached');
    }
    return new Promise((resolve) => {
      this.openings.push({ socket, finish: resolve });
      this.changed();
    });
  }
  message(conn: Connection, text: string): void {
    this.calls.push(`message ${conn.id} ${text}`);
    this.changed();
  }
  touch(conn: Connection): void {
    this.calls.push(`touch ${conn.id}`);
    this.changed();
  }
  closed(conn: Connection): void {
    this.calls.push(`closed ${conn.id}`);
    this.changed();
  }
  async until(check: () => boolean, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out; calls so far: ${this.calls.join(' | ')}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  private changed(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

const fakeConn = (id: string) => ({ id, close() {} }) as unknown as Connection;
/** The transport's own view of a socket: frames held during the lookup, closed, the connection. */
const held = (o: Opening) => o.socket as unknown as { early?: string[]; closed: boolean; conn?: Connection };
/** Ends the lookup and waits until the transport has attached the connection. */
async function attach(o: Opening, id: string): Promise<void> {
  o.finish(fakeConn(id));
  await hub.until(() => held(o).conn !== undefined);
}
/** After the I/O of this event-loop turn: what is sent next goes out in a later turn. */
const nextTurn = () => new Promise((r) => setImmediate(r));

/** What each write to the socket carried (one entry per write, i.e. per syscall), as latin1 text. */
function recordWrites(socket: Socket): string[] {
  const writes: string[] = [];
  const s = socket as unknown as { _write: WriteFn; _writev: WritevFn };
  const write = s._write;
  const writev = s._writev;
  s._write = function (chunk, encoding, cb) {
    writes.push(Buffer.from(chunk).toString('latin1'));
    return write.call(this, chunk, encoding, cb);
  };
  s._writev = function (chunks, cb) {
    writes.push(chunks.map((c) => Buffer.from(c.chunk).toString('latin1')).join(''));
    return writev.call(this, chunks, cb);
  };
  return writes;
}
type WriteFn = (this: unknown, chunk: string | Buffer, encoding: BufferEncoding, cb: () => void) => void;
type WritevFn = (this: unknown, chunks: { chunk: string | Buffer }[], cb: () => void) => void;
const cachedWrites: string[][] = [];
const serverSockets: Socket[] = [];

let hub: RecordingHub;
let server: http.Server;
let url: string;
const clients: RawClient[] = [];

before(async () => {
  hub = new RecordingHub();
  const transport = new WsTransport(hub as unknown as Hub, {
    pathPrefix: '',
    maxMessageBytes: 10_000,
    maxQueuedBytes: 256 * 1024,
  });
  server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => {
    if (req.url?.startsWith('/app/cached')) cachedWrites.push(recordWrites(socket as Socket));
    serverSockets.push(socket as Socket);
    transport.upgrade(req, socket, head);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/app/key?protocol=7`;
});
after(async () => {
  for (const c of clients) c.close();
  await new Promise((r) => server.close(r));
});

async function connect(): Promise<{ client: RawClient; opening: Opening }> {
  const before = hub.openings.length;
  const client = await RawClient.connect(url);
  clients.push(client);
  await hub.until(() => hub.openings.length > before);
  return { client, opening: hub.openings[before] };
}

test('frames sent before the app lookup finishes reach the hub afterwards, in order', async () => {
  const { client, opening } = await connect();
  client.send({ event: 'one' });
  client.send({ event: 'two' });
  await hub.until(() => held(opening).early?.length === 2); // both frames are in; the lookup has not finished
  assert.equal(hub.calls.filter((c) => c.startsWith('message a ')).length, 0);
  opening.finish(fakeConn('a'));
  client.send({ event: 'three' });
  await hub.until(() => hub.calls.filter((c) => c.startsWith('message a ')).length === 3);
  assert.deepEqual(
    hub.calls.filter((c) => c.startsWith('message a ')),
    ['message a {"event":"one"}', 'message a {"event":"two"}', 'message a {"event":"three"}'],
  );
});

test('more than 100 frames before the lookup: pusher:error 4100 and close 4100', async () => {
  const { client, opening } = await connect();
  for (let i = 0; i < 101; i++) client.send({ event: `e${i}` });
  assert.equal(await client.waitClose(), 4100);
  assert.equal(decode(client.events('pusher:error')[0]).code, 4100);
  opening.finish(fakeConn('b')); // the lookup ends after the socket is gone: the hub forgets it
  await hub.until(() => hub.calls.includes('closed b'));
  assert.equal(hub.calls.filter((c) => c.startsWith('message b ')).length, 0);
});

test('a client that leaves during the lookup is closed in the hub once the lookup ends', async () => {
  const { client, opening } = await connect();
  client.close();
  await hub.until(() => held(opening).closed); // the transport saw the close; the lookup has not finished
  assert.ok(!hub.calls.includes('closed c'));
  opening.finish(fakeConn('c'));
  await hub.until(() => hub.calls.includes('closed c'));
});

test('WebSocket-level ping and pong frames count as activity; closing reaches the hub', async () => {
  const { client, opening } = await connect();
  await attach(opening, 'd');
  client.ws.ping();
  await hub.until(() => hub.calls.includes('touch d'));
  client.ws.pong();
  await hub.until(() => hub.calls.filter((c) => c === 'touch d').length === 2);
  client.close();
  await hub.until(() => hub.calls.includes('closed d'));
});

test('a ping is answered with a pong carrying its payload', { timeout: 10_000 }, async () => {
  const { client, opening } = await connect();
  await attach(opening, 'ping');
  const pong = new Promise<string>((r) => client.ws.once('pong', (data) => r(data.toString())));
  client.ws.ping('are you there');
  assert.equal(await pong, 'are you there');
});

test('a client that pings while its queue is past the bound is cut off', async () => {
  const { client, opening } = await connect();
  await attach(opening, 'flood');
  client.ws.pause(); // reads nothing: what the server sends piles up in its queue
  const big = Buffer.from(JSON.stringify({ event: 'e', channel: 'c', data: 'x'.repeat(16_000) }));
  let queued = 0;
  for (let i = 0; i < 10_000 && queued <= 256 * 1024; i++) queued = opening.socket.send(big);
  assert.ok(queued > 256 * 1024, `the queue passed the bound (${queued} bytes)`);
  client.ws.ping();
  await hub.until(() => held(opening).closed);
  client.ws.resume();
  assert.equal(await client.waitClose(), 1006);
});

test('a path other than /app/{key} is refused with 4005 before any lookup', async () => {
  const before = hub.openings.length;
  const c = await RawClient.connect(url.replace('/app/key', '/nope'));
  clients.push(c);
  assert.equal(await c.waitClose(), 4005);
  assert.equal(decode(c.events('pusher:error')[0]).code, 4005);
  assert.equal(hub.openings.length, before);
});

test('frames written in one turn arrive whole and in order, around replies and lone frames', async () => {
  const { client, opening } = await connect();
  opening.finish(fakeConn('e'));
  const frame = (n: number) => Buffer.from(JSON.stringify({ event: `f${n}`, channel: 'c', data: String(n) }));
  // One turn: several shared frames (coalesced into one write) with a reply to this socket between.
  opening.socket.send(frame(1));
  opening.socket.send(frame(2));
  opening.socket.send('{"event":"reply","data":"{}"}');
  opening.socket.send(frame(3));
  // Later turns: lone frames, then a burst again.
  await nextTurn();
  opening.socket.send(frame(4));
  await nextTurn();
  opening.socket.send(frame(5));
  opening.socket.send(frame(6));
  await client.waitFor(() => client.frames.length >= 7);
  assert.deepEqual(
    client.frames.map((f) => f.event),
    ['f1', 'f2', 'reply', 'f3', 'f4', 'f5', 'f6'],
  );
});

test('a cached app is admitted at once: the 101 and connection_established leave in one write', async () => {
  const client = await RawClient.established(url.replace('/app/key', '/app/cached'));
  clients.push(client);
  const writes = cachedWrites.at(-1)!;
  assert.match(writes[0], /^HTTP\/1\.1 101 /);
  assert.match(writes[0], /"event":"pusher:connection_established"/);
  assert.equal(writes.length, 1, `one write, got ${writes.length}`);
  client.send({ event: 'after-open' });
  await hub.until(() => messagesOf('cached').length === 1);
  assert.deepEqual(messagesOf('cached'), ['{"event":"after-open"}']);
});

/** The client's TCP socket, for writing frames byte by byte. */
const rawSocket = (c: RawClient) => (c.ws as unknown as { _socket: Socket })._socket;
/** Resolves once the server has read every byte this client wrote (so each write is its own read). */
const serverRead = (c: RawClient) => {
  const mine = rawSocket(c);
  const theirs = serverSockets.find((s) => s.remotePort === mine.localPort)!;
  return hub.until(() => theirs.bytesRead >= mine.bytesWritten);
};
const messagesOf = (id: string) =>
  hub.calls.filter((c) => c.startsWith(`message ${id} `)).map((c) => c.slice(`message ${id} `.length));

test('client frames whole, split, batched, long, multibyte and fragmented all reach the hub intact, in order', async () => {
  const { client, opening } = await connect();
  await attach(opening, 'g');
  const sock = rawSocket(client);
  const sent: string[] = [];
  const whole = async (text: string) => {
    sent.push(text);
    sock.write(clientFrame(text));
    await hub.until(() => messagesOf('g').length === sent.length);
  };
  await whole('{"event":"one"}');
  await whole(JSON.stringify({ event: 'long', data: 'x'.repeat(300) }));
  await whole('{"event":"multibyte","data":"é€😀"}');
  await whole('{"event":"empty-next"}');
  await whole('');
  // Two frames in one write, then one frame split across writes.
  sent.push('{"event":"a"}', '{"event":"b"}');
  sock.write(Buffer.concat([clientFrame('{"event":"a"}'), clientFrame('{"event":"b"}')]));
  const split = clientFrame('{"event":"split"}');
  sent.push('{"event":"split"}');
  sock.write(split.subarray(0, 4));
  await serverRead(client);
  sock.write(split.subarray(4));
  // A fragmented message with a ping between its fragments, then a whole frame again.
  sent.push('{"event":"fragmented"}', '{"event":"after"}');
  sock.write(clientFrame('{"event":', { fin: false }));
  await serverRead(client);
  sock.write(clientFrame('', { opcode: 9 }));
  sock.write(clientFrame('"fragmented"}', { opcode: 0 }));
  await serverRead(client);
  sock.write(clientFrame('{"event":"after"}'));
  await hub.until(() => messagesOf('g').length === sent.length);
  assert.deepEqual(messagesOf('g'), sent);
  assert.ok(hub.calls.includes('touch g'), 'the ping between fragments counted as activity');
});

for (const [name, frame, code] of [
  ['invalid UTF-8 in a text frame closes 1007', clientFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
  ['a frame over the message limit closes 1009', clientFrame('y'.repeat(10_001)), 1009],
  ['an unmasked client frame closes 1002', clientFrame('{"event":"x"}', { masked: false }), 1002],
] as const) {
  test(`${name}, and nothing reaches the hub`, async () => {
    const { client, opening } = await connect();
    const id = `bad${code}`;
    await attach(opening, id);
    rawSocket(client).write(frame);
    assert.equal(await client.waitClose(), code);
    await hub.until(() => hub.calls.includes(`closed ${id}`));
    assert.deepEqual(messagesOf(id), []);
  });
}
