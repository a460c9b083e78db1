// The intake guard (src/transport/intake-guard.ts) reads net.Server's private `_connections` to know,
// inside the 'connection' handler and without a callback, how many sockets a worker holds (the public
// getConnections() answers asynchronously). A Node release that renames the field or counts at
// another moment fails here, naming the field, instead of leaving a worker to take sockets past its cap.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { connect, Server as NetServer, type Socket } from 'node:net';
import { test } from 'node:test';

const count = (server: object) => (server as { _connections?: unknown })._connections;
const where = `Node ${process.version}: net.Server._connections`;

test('net.Server._connections counts open sockets as the intake guard reads it', async () => {
  const server = createServer(); // what the transport guards: an http.Server, a net.Server underneath
  const accepted: Socket[] = [];
  const seenOnConnection: unknown[] = [];
  server.on('connection', (socket: Socket) => {
    accepted.push(socket);
    seenOnConnection.push(count(server));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const clients: Socket[] = [];
  try {
    assert.equal(typeof count(server), 'number', `${where} is no longer a number (got ${typeof count(server)})`);
    assert.equal(count(server), 0, `${where} is not 0 on a server with no sockets`);

    for (let i = 1; i <= 3; i++) {
      clients.push(connect(port, '127.0.0.1'));
      await once(server, 'connection');
    }
    assert.deepEqual(seenOnConnection, [1, 2, 3], `${where} does not include the new socket in 'connection'`);

    // The guard pauses with net.Server's close: the listening socket goes, the count stays.
    NetServer.prototype.close.call(server);
    assert.equal(count(server), 3, `${where} does not count open sockets once the listener is closed`);

    const gone = once(accepted[0], 'close');
    clients[0].destroy();
    await gone;
    assert.equal(count(server), 2, `${where} does not drop a socket by the time it emits 'close'`);
  } finally {
    for (const c of clients) c.destroy();
    for (const s of accepted) s.destroy();
    if (server.listening) server.close();
  }
});
