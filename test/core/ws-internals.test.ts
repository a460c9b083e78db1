// The transport reads private fields of ws (src/transport/ws-transport.ts: the socket and the
// sender's state, for one-write frames; inbound-fast-path.ts: the receiver's state, to skip its
// stream). ws is pinned to an exact version in package.json; an upgrade that renames or retypes one
// of these fields fails here, naming the field, instead of silently turning the fast paths off.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const installed = JSON.parse(readFileSync('node_modules/ws/package.json', 'utf8')).version;

test('ws is pinned to an exact version, and that version is the one installed', () => {
  assert.match(pkg.dependencies.ws, /^\d+\.\d+\.\d+$/, 'package.json pins ws exactly (no ^ or ~)');
  assert.equal(installed, pkg.dependencies.ws);
});

test('the ws private fields the transport reads exist with the types it expects', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  const port = (wss.address() as { port: number }).port;
  const accepted = new Promise<WebSocket>((r) => wss.once('connection', r));
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const [ws] = await Promise.all([accepted, new Promise((r) => client.once('open', r))]);
  try {
    const raw = ws as unknown as Record<string, unknown>;
    const field = (path: string, check: (v: unknown) => boolean, what: string) => {
      let v: unknown = raw;
      for (const part of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
      assert.ok(check(v), `ws ${installed}: WebSocket.${path} is no longer ${what} (got ${typeof v})`);
    };
    const isNumber = (v: unknown) => typeof v === 'number';
    field('_socket', (v) => v instanceof Socket, 'the net.Socket');
    field('_sender._state', isNumber, 'a number (0 when idle)');
    assert.equal((raw._sender as { _state: number })._state, 0, `ws ${installed}: an idle sender's _state is 0`);
    field('_receiver', (v) => typeof v === 'object' && v !== null, 'the Receiver');
    field('_receiver._state', isNumber, 'a number');
    field('_receiver._bufferedBytes', isNumber, 'a number');
    field('_receiver._fragmented', isNumber, 'a number');
    field('_receiver._errored', (v) => typeof v === 'boolean', 'a boolean');
    field('_receiver._maxPayload', isNumber, 'a number');
    field('_receiver._writableState.length', isNumber, 'a number');
    const receiver = raw._receiver as object;
    const key = Object.getOwnPropertySymbols(receiver).find((s) => s.description === 'websocket');
    assert.ok(key, `ws ${installed}: the Receiver no longer holds its WebSocket under Symbol('websocket')`);
  } finally {
    client.terminate();
    ws.terminate();
    await new Promise((r) => wss.close(r));
  }
});
