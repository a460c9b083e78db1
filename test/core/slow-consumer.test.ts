// A slow consumer is told 4100 promptly. Past its send-buffer bound, what is queued for it is
// dropped and the close frame goes next: a client that reads, slowly, sees 4100 (back off, then
// reconnect) within seconds, not an abnormal close when the close handshake times out (30 s).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startServer, APP, type TestServer } from '../helpers/server.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import { readSlowly } from '../hardening/fault-kit.ts';

const BOUND = 16 * 1024 * 1024;
let s: TestServer;
before(async () => (s = await startServer({ env: { PUSHI_MAX_BUFFERED_BYTES: String(BOUND) } })));
after(() => s.close());

test('a slow consumer past the bound sees close 4100 within 5 s', { timeout: 120_000 }, async () => {
  const channels = Array.from({ length: 100 }, (_, i) => `slow-${i}`);
  const slow = await RawClient.established(s.wsUrl());
  for (const ch of channels) await slow.subscribe(ch);
  const sock = (slow.ws as unknown as { _socket: Socket })._socket;
  sock.pause();
  const conn = () => s.server.hub.states.get(APP.id)?.connections.get(slow.socketId);
  const data = 'x'.repeat(9000);
  // Each trigger fans ~900 KB out to the paused client: the kernel buffers fill, then ours.
  for (let i = 0; i < 400 && conn() && !conn()!.closed; i++) {
    const res = await trigger(s.httpUrl, { name: 'flood', channels, data });
    assert.equal(res.status, 200);
  }
  assert.equal(conn()?.closed ?? true, true, 'the slow consumer was cut off');
  const cut = Date.now();
  const stop = readSlowly(sock, 25);
  const code = await slow.waitClose(30_000);
  stop();
  const ms = Date.now() - cut;
  assert.equal(code, 4100);
  assert.ok(ms < 5000, `4100 arrived ${ms} ms after the cut (${slow.events('flood').length} events read first)`);
});
