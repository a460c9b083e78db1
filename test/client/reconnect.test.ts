// Reconnecting: a real server restarted on the same port and data, and a scripted WebSocket
// server for close codes and ping/pong.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { backoffDelay, closeAction, type Pushi } from '../../src/client/index.ts';
import { startServer } from '../helpers/server.ts';
import { onSamePort } from '../helpers/ports.ts';
import { client, connected, next, sdk, waitFor } from './util.ts';

interface Scripted {
  port: number;
  sockets: WebSocket[];
  frames: { event: string; data?: unknown }[];
  close(): Promise<void>;
}

/** A bare WebSocket server: says hello like Pushi, then does what the test scripts. */
async function scripted(onOpen: (ws: WebSocket, n: number) => void, activityTimeout = 120): Promise<Scripted> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const s: Scripted = {
    port: (wss.address() as { port: number }).port,
    sockets: [],
    frames: [],
    close: () => {
      for (const ws of s.sockets) ws.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
  wss.on('connection', (ws) => {
    s.sockets.push(ws);
    ws.on('message', (buf) => s.frames.push(JSON.parse(buf.toString())));
    ws.send(
      JSON.stringify({
        event: 'pusher:connection_established',
        data: JSON.stringify({ socket_id: `1.${s.sockets.length}`, activity_timeout: activityTimeout }),
      }),
    );
    onOpen(ws, s.sockets.length);
  });
  return s;
}

function record(p: Pushi) {
  const reconnecting: { delay: number; code: number }[] = [];
  p.bind('reconnecting', (_e, d) => reconnecting.push(d));
  return reconnecting;
}

describe('client reconnects', () => {
  test('after the server restarts on the same port and data: reconnects and re-subscribes every channel', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pushi-client-'));
    let ts = await startServer({ dataDir });
    const port = ts.wsPort; // the restart below binds it again
    const env = { SERVER_PORT: String(port) };
    const p = client(
      { wsPort: port },
      {
        authorizer: ({ socketId, channelName }) => sdk(ts).authorizeChannel(socketId, channelName, { user_id: 'rita' }),
      },
    );
    try {
      const live = p.subscribe('live');
      const room = p.subscribe('presence-room');
      await Promise.all([next(live, 'subscribe'), next(room, 'subscribe')]);
      const first = p.socketId;
      const reconnecting = record(p);
      const dropped = next(p, 'disconnect');
      await ts.server.close();
      assert.equal((await dropped)[0].code, 4200, 'graceful shutdown says 4200');
      // While the server is down, attempts fail and back off.
      await waitFor('a backed-off retry', () => reconnecting.some((r) => r.code !== 4200 && r.delay > 0));
      ts = await onSamePort(() => startServer({ dataDir, env }));
      const again = next(live, 'subscribe');
      await waitFor('re-subscribed on a new socket', () => live.subscribed && room.subscribed && p.socketId !== first);
      await again;
      assert.deepEqual([...room.members.keys()], ['rita']);
      const got = next(live, 'after');
      await sdk(ts).triggerEvent({ channel: 'live', event: 'after', data: { ok: true } });
      assert.deepEqual((await got)[0], { ok: true });
    } finally {
      p.disconnect();
      await ts.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('4000–4099: no reconnect (state failed)', async () => {
    const s = await scripted((ws) => ws.close(4005, 'go away'));
    const p = client({ wsPort: s.port });
    const reconnecting = record(p);
    try {
      await waitFor('failed', () => p.state === 'failed');
      assert.deepEqual(reconnecting, []);
      assert.equal(s.sockets.length, 1);
    } finally {
      p.disconnect();
      await s.close();
    }
  });

  test('4100–4199 back off; 4200–4299 reconnect at once, then back off if it repeats', async () => {
    const backoff = await scripted((ws, n) => n === 1 && ws.close(4100, 'over capacity'));
    const a = client({ wsPort: backoff.port });
    const ra = record(a);
    const now = await scripted((ws) => ws.close(4200, 'reconnect'));
    const b = client({ wsPort: now.port });
    const rb = record(b);
    try {
      await waitFor('second connection after 4100', () => backoff.sockets.length === 2 && a.state === 'connected');
      assert.equal(ra[0].code, 4100);
      assert.ok(ra[0].delay > 0, 'backs off');
      await waitFor('a backed-off reconnect once 4200 repeats', () => rb.some((r) => r.delay > 0));
      assert.deepEqual(rb[0], { attempt: 1, delay: 0, code: 4200 });
    } finally {
      a.disconnect();
      b.disconnect();
      await Promise.all([backoff.close(), now.close()]);
    }
  });

  test('a rejected app key (4001) fails for good, reporting the server error', async () => {
    const ts = await startServer();
    const p = client(ts, {}, 'no-such-key');
    const errors: unknown[] = [];
    p.bind('error', (_e, d) => errors.push(d));
    try {
      await waitFor('failed', () => p.state === 'failed');
      assert.equal((errors[0] as { code: number }).code, 4001);
    } finally {
      p.disconnect();
      await ts.close();
    }
  });

  test('answers pusher:ping, pings after activity_timeout of silence, reconnects when no pong comes', async () => {
    const s = await scripted((ws, n) => {
      if (n === 1) ws.send(JSON.stringify({ event: 'pusher:ping', data: '{}' }));
    }, 1);
    const p = client({ wsPort: s.port }, { pongTimeout: 1 });
    const reconnecting = record(p);
    try {
      await waitFor('pong to our ping', () => s.frames.some((f) => f.event === 'pusher:pong'));
      await waitFor('client ping after silence', () => s.frames.some((f) => f.event === 'pusher:ping'));
      // The scripted server never answers: the client gives up on the socket and opens another.
      await waitFor('reconnect after pong timeout', () => s.sockets.length >= 2);
      assert.equal(reconnecting[0].code, 4201);
    } finally {
      p.disconnect();
      await s.close();
    }
  });

  test('disconnect() stays closed; connect() comes back with its channels', async () => {
    const ts = await startServer();
    const p = client(ts);
    try {
      const ch = p.subscribe('kept');
      await next(ch, 'subscribe');
      p.disconnect();
      assert.equal(p.state, 'closed');
      assert.equal(ch.subscribed, false);
      p.connect();
      await connected(p);
      await waitFor('re-subscribed', () => ch.subscribed);
    } finally {
      p.disconnect();
      await ts.close();
    }
  });

  test('close-code ranges and back-off bounds', () => {
    assert.equal(closeAction(4000), 'stop');
    assert.equal(closeAction(4099), 'stop');
    assert.equal(closeAction(4100), 'backoff');
    assert.equal(closeAction(4199), 'backoff');
    assert.equal(closeAction(4200), 'now');
    assert.equal(closeAction(4299), 'now');
    assert.equal(closeAction(1006), 'backoff');
    const o = { minDelay: 1000, maxDelay: 30_000, jitter: 0.5 };
    assert.equal(
      backoffDelay(0, o, () => 0),
      1000,
    );
    assert.equal(
      backoffDelay(0, o, () => 1),
      500,
    );
    assert.equal(
      backoffDelay(3, o, () => 0),
      8000,
    );
    assert.equal(
      backoffDelay(50, o, () => 0),
      30_000,
    );
  });
});
