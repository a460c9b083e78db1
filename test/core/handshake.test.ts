// The one-write handshake through the real server: an app the hub has cached is admitted at once,
// so the 101 and pusher:connection_established leave in one write (one round trip for clients).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { recordServerWrites, type ServerWrites } from '../helpers/socket-writes.ts';

let s: TestServer;
let writes: ServerWrites;
before(async () => {
  s = await startServer();
  writes = recordServerWrites(s.wsPort);
});
after(async () => {
  writes.stop();
  await s.close();
});

const localPort = (c: RawClient) => (c.ws as unknown as { _socket: Socket })._socket.localPort!;

test('a cached app: the 101 and connection_established leave the server in one write', async () => {
  const first = await RawClient.established(s.wsUrl()); // the lookup puts the app in the hub's cache
  first.close();
  const c = await RawClient.established(s.wsUrl());
  const sent = writes.of(localPort(c));
  assert.match(sent[0] ?? '', /^HTTP\/1\.1 101 /);
  assert.match(sent[0] ?? '', /"event":"pusher:connection_established"/);
  assert.equal(sent.length, 1, `one write, got ${sent.length}: ${sent.join(' | ')}`);
  // And the connection works after it.
  c.send({ event: 'pusher:ping', data: {} });
  await c.next('pusher:pong');
  c.close();
});
