// Connection lifecycle: activity pings and 4201, graceful shutdown with 4200, TLS listeners.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { assertStillServes, signedUrl, trigger } from '../helpers/signed-fetch.ts';
import { onFreePorts } from '../helpers/ports.ts';
import { httpsRequest, selfSignedCert, type SelfSigned } from '../helpers/tls.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

describe('activity timeout (PUSHI_ACTIVITY_TIMEOUT=1, PUSHI_PONG_TIMEOUT=1)', () => {
  let s: TestServer;
  before(async () => (s = await startServer({ env: { PUSHI_ACTIVITY_TIMEOUT: '1', PUSHI_PONG_TIMEOUT: '1' } })));
  after(() => s.close());

  test('the handshake announces activity_timeout 1', async () => {
    const c = await RawClient.established(s.wsUrl());
    assert.equal(decode(c.frames[0]).activity_timeout, 1);
    c.close();
  });

  test('a silent client is pinged, then gets pusher:error 4201 and close 4201', async () => {
    const c = await RawClient.established(s.wsUrl());
    const ping = await c.waitFor((f) => f.event === 'pusher:ping', 10_000);
    assert.equal(typeof ping.data, 'string');
    assert.deepEqual(decode(ping), {});
    assert.equal(await c.waitClose(10_000), 4201);
    const err = c.events('pusher:error').at(-1)!;
    assert.equal(decode(err).code, 4201);
    assert.ok(c.frames.indexOf(err) > c.frames.indexOf(ping), 'the error comes after the unanswered ping');
    await assertStillServes(s);
  });

  test('a client answering pusher:ping with pusher:pong stays connected and subscribed', async () => {
    const c = await RawClient.established(s.wsUrl());
    await c.subscribe('kept');
    c.ws.on('message', (buf) => {
      if (JSON.parse(buf.toString()).event === 'pusher:ping') c.send({ event: 'pusher:pong', data: {} });
    });
    // three ping rounds take at least three activity timeouts; an unanswering socket is gone after one
    await c.waitFor(() => c.events('pusher:ping').length >= 3, 15_000);
    assert.equal(c.closeCode, undefined);
    assert.equal(c.events('pusher:error').length, 0);
    assert.equal((await trigger(s.httpUrl, { name: 'still', channel: 'kept', data: '1' })).status, 200);
    await c.waitFor((f) => f.event === 'still');
    c.close();
  });
});

describe('graceful shutdown', () => {
  test('server.close() sends pusher:error 4200 and closes every client with 4200', async () => {
    const s = await startServer();
    const clients = await Promise.all([0, 1, 2].map(() => RawClient.established(s.wsUrl())));
    await clients[0].subscribe('news');
    const ch = 'presence-bye';
    const cd = JSON.stringify({ user_id: 'u' });
    await clients[1].subscribe(ch, channelAuth(s.app.key, s.app.secret, clients[1].socketId, ch, cd), cd);
    await s.close();
    for (const c of clients) {
      assert.equal(await c.waitClose(), 4200);
      const err = c.events('pusher:error');
      assert.equal(err.length, 1);
      assert.equal(decode(err[0]).code, 4200);
    }
    // the ports are released: connecting now fails
    await assert.rejects(RawClient.connect(s.wsUrl()));
  });

  test('a client arriving while the server shuts down is told 4200, not established', async () => {
    const s = await startServer();
    try {
      s.server.hub.shutdown(); // the first step of close(): the listeners are still up
      const late = await RawClient.connect(s.wsUrl());
      assert.equal(await late.waitClose(), 4200);
      assert.equal(late.events('pusher:connection_established').length, 0);
      assert.equal(decode(late.events('pusher:error')[0]).code, 4200);
    } finally {
      await s.close();
    }
  });
});

describe('TLS', () => {
  let cert: SelfSigned;
  before(() => (cert = selfSignedCert()));
  after(() => cert.remove());

  const tlsEnv = (extra: Record<string, string> = {}) => ({
    SERVER_SSL: '1',
    SERVER_SSL_KEY: cert.keyPath,
    SERVER_SSL_CER: cert.certPath,
    APP_SSL: '1',
    APP_SSL_KEY: cert.keyPath,
    APP_SSL_CER: cert.certPath,
    ...extra,
  });

  async function wssAndHttpsWork(s: TestServer) {
    assert.match(s.wsUrl(), /^wss:/);
    assert.match(s.httpUrl, /^https:/);
    const c = await RawClient.established(s.wsUrl(), { rejectUnauthorized: false });
    await c.subscribe('secure');
    const body = JSON.stringify({ name: 'tls', channel: 'secure', data: '"x"' });
    const { url } = signedUrl(s.httpUrl, '/apps/test-app/events', { method: 'POST', body });
    const res = await httpsRequest(url, 'POST', body);
    assert.equal(res.status, 200, res.body);
    assert.equal((await c.waitFor((f) => f.event === 'tls')).data, '"x"');
    assert.equal((await httpsRequest(`${s.httpUrl}/health`)).status, 200);
    c.close();
  }

  test('separate ports: wss and https', async () => {
    const s = await startServer({ env: tlsEnv() });
    try {
      assert.notEqual(s.wsPort, s.httpPort);
      await wssAndHttpsWork(s);
      // plain ws on a TLS port does not get through
      await assert.rejects(RawClient.established(`ws://127.0.0.1:${s.wsPort}/app/${s.app.key}`));
    } finally {
      await s.close();
    }
  });

  test('SERVER_PORT = APP_PORT: one TLS listener serves both wss and https', async () => {
    const s = await onFreePorts(1, ([port]) =>
      startServer({ env: tlsEnv({ SERVER_PORT: String(port), APP_PORT: String(port) }) }),
    );
    try {
      assert.equal(s.httpPort, s.wsPort);
      await wssAndHttpsWork(s);
    } finally {
      await s.close();
    }
  });

  test('SERVER_PORT = APP_PORT without TLS: one listener serves both ws and http', async () => {
    const s = await onFreePorts(1, ([port]) =>
      startServer({ env: { SERVER_PORT: String(port), APP_PORT: String(port) } }),
    );
    try {
      assert.equal(s.httpPort, s.wsPort);
      await assertStillServes(s);
    } finally {
      await s.close();
    }
  });
});
