// The WebSocket transport on its own, with a hub whose app lookup the test finishes by hand: frames
// that arrive before the lookup, a client that leaves during it, and WebSocket-level ping/pong as
// proof of life. Real sockets on an ephemeral port; the hub is a recording stand-in.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WsTransport } from '../../src/transport/ws-transport.ts';
import type { Hub } from '../../src/hub/hub.ts';
import type { Connection, SocketLike } from '../../src/hub/connection.ts';
import { RawClient, decode, sleep } from '../helpers/raw-client.ts';

interface Opening {
  socket: SocketLike;
  finish: (conn: Connection | undefined) => void;
}

/** Records what the transport hands the hub; `open` waits until the test calls finish(). */
class RecordingHub {
  readonly openings: Opening[] = [];
  readonly calls: string[] = [];
  private waiters: Array<() => void> = [];
  open(socket: SocketLike): Promise<Connection | undefined> {
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

let hub: RecordingHub;
let server: http.Server;
let url: string;
const clients: RawClient[] = [];

before(async () => {
  hub = new RecordingHub();
  const transport = new WsTransport(hub as unknown as Hub, { pathPrefix: '', maxMessageBytes: 10_000 });
  server = http.createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => transport.upgrade(req, socket, head));
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
  await sleep(100); // both frames are in; the lookup has not finished
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
  await sleep(100);
  assert.ok(!hub.calls.includes('closed c'));
  opening.finish(fakeConn('c'));
  await hub.until(() => hub.calls.includes('closed c'));
});

test('WebSocket-level ping and pong frames count as activity; closing reaches the hub', async () => {
  const { client, opening } = await connect();
  opening.finish(fakeConn('d'));
  await sleep(50);
  client.ws.ping();
  await hub.until(() => hub.calls.includes('touch d'));
  client.ws.pong();
  await hub.until(() => hub.calls.filter((c) => c === 'touch d').length === 2);
  client.close();
  await hub.until(() => hub.calls.includes('closed d'));
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
  await sleep(20);
  opening.socket.send(frame(4));
  await sleep(20);
  opening.socket.send(frame(5));
  opening.socket.send(frame(6));
  await client.waitFor(() => client.frames.length >= 7);
  assert.deepEqual(
    client.frames.map((f) => f.event),
    ['f1', 'f2', 'reply', 'f3', 'f4', 'f5', 'f6'],
  );
});
