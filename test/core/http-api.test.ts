// The HTTP API through requests signed as the Pusher SDKs sign them: status codes, error bodies,
// signature checks, limits, the path prefix, health, and resistance to garbage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { assertStillServes, signedFetch, signedUrl, trigger } from '../helpers/signed-fetch.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

const MAX_BODY = 50_000;
let s: TestServer;
before(async () => (s = await startServer({ env: { PUSHI_MAX_BODY_BYTES: String(MAX_BODY) } })));
after(() => s.close());

const EVENTS = '/apps/test-app/events';

/** Asserts the status and the `{error, code}` JSON body; returns the error message. */
async function expectError(res: Response, status: number): Promise<string> {
  const text = await res.text();
  assert.equal(res.status, status, text);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = JSON.parse(text);
  assert.deepEqual(Object.keys(body).sort(), ['code', 'error']);
  assert.equal(body.code, status);
  assert.equal(typeof body.error, 'string');
  return body.error;
}

/** Sends bytes on a raw TCP connection; resolves with whatever came back before the socket ended. */
function rawHttp(port: number, payload: string | Buffer): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    sock.on('data', (c) => chunks.push(c));
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    sock.on('close', done);
    sock.on('error', () => undefined);
    sock.setTimeout(5000, () => sock.destroy());
    sock.write(payload, () => sock.end());
  });
}

describe('validation (400)', () => {
  test('malformed JSON and a non-object body', async () => {
    assert.match(await expectError(await trigger(s.httpUrl, '{"name": "x",'), 400), /JSON/);
    await expectError(await trigger(s.httpUrl, '[1,2]'), 400);
  });

  test('missing name, data or channels', async () => {
    await expectError(await trigger(s.httpUrl, { data: '1', channel: 'a' }), 400);
    await expectError(await trigger(s.httpUrl, { name: 'e', channel: 'a' }), 400);
    await expectError(await trigger(s.httpUrl, { name: 'e', data: '1' }), 400);
    await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channels: [] }), 400);
  });

  test('more than 100 channels in one trigger', async () => {
    const channels = Array.from({ length: 101 }, (_, i) => `c${i}`);
    assert.match(await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channels }), 400), /100/);
    assert.equal((await trigger(s.httpUrl, { name: 'e', data: '1', channels: channels.slice(0, 100) })).status, 200);
  });

  test('more than 10 events in a batch', async () => {
    const batch = Array.from({ length: 11 }, (_, i) => ({ name: 'e', channel: `b${i}`, data: '1' }));
    const path = '/apps/test-app/batch_events';
    assert.match(await expectError(await signedFetch(s.httpUrl, path, { method: 'POST', body: { batch } }), 400), /10/);
    assert.equal(
      (await signedFetch(s.httpUrl, path, { method: 'POST', body: { batch: batch.slice(0, 10) } })).status,
      200,
    );
    await expectError(await signedFetch(s.httpUrl, path, { method: 'POST', body: { batch: [] } }), 400);
  });

  test('bad channel names', async () => {
    for (const channel of ['has space', 'x'.repeat(201), '', 'a/b']) {
      await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channel }), 400);
    }
    await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channels: ['ok', 7] }), 400);
    await expectError(await signedFetch(s.httpUrl, `/apps/test-app/channels/${encodeURIComponent('bad name')}`), 400);
  });

  test('bad socket_id', async () => {
    for (const socket_id of ['abc', '1.', '1.2.3', 12]) {
      await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channel: 'a', socket_id }), 400);
    }
  });
});

describe('signatures (401) and unknown apps (404)', () => {
  test('wrong secret, tampered signature, missing signature', async () => {
    const body = { name: 'e', data: '1', channel: 'a' };
    assert.match(await expectError(await trigger(s.httpUrl, body, { secret: 'not-the-secret' }), 401), /signature/i);
    await expectError(await trigger(s.httpUrl, body, { signature: 'f'.repeat(64) }), 401);
    await expectError(await trigger(s.httpUrl, body, { omit: ['auth_signature'] }), 401);
    await expectError(await trigger(s.httpUrl, body, { key: 'other-key' }), 401);
    await expectError(
      await signedFetch(s.httpUrl, '/apps/test-app/channels', { signedPath: '/apps/test-app/channel' }),
      401,
    );
  });

  test('timestamps 700 s in the past or future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const body = { name: 'e', data: '1', channel: 'a' };
    assert.match(await expectError(await trigger(s.httpUrl, body, { timestamp: now - 700 }), 401), /[Tt]imestamp/);
    await expectError(await trigger(s.httpUrl, body, { timestamp: now + 700 }), 401);
    assert.equal((await trigger(s.httpUrl, body, { timestamp: now - 500 })).status, 200);
  });

  test('body_md5 of another body than the one sent', async () => {
    const sent = JSON.stringify({ name: 'e', data: 'evil', channel: 'a' });
    const signed = JSON.stringify({ name: 'e', data: 'good', channel: 'a' });
    assert.match(await expectError(await trigger(s.httpUrl, sent, { signedBody: signed }), 401), /body_md5/);
  });

  test('unknown app id: 404', async () => {
    assert.match(
      await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channel: 'a' }, { appId: 'nope' }), 404),
      /nope/,
    );
    await expectError(await signedFetch(s.httpUrl, '/apps/nope/channels'), 404);
  });
});

describe('sizes (413)', () => {
  test('event data over 10 KB', async () => {
    const res = await trigger(s.httpUrl, { name: 'e', channel: 'a', data: 'x'.repeat(10 * 1024 + 1) });
    assert.match(await expectError(res, 413), /10240/);
    assert.equal((await trigger(s.httpUrl, { name: 'e', channel: 'a', data: 'x'.repeat(10 * 1024) })).status, 200);
  });

  test('a body over PUSHI_MAX_BODY_BYTES, declared or streamed without a length', async () => {
    const big = JSON.stringify({ name: 'e', channel: 'a', data: 'x'.repeat(MAX_BODY) });
    await expectError(await trigger(s.httpUrl, big), 413);
    const { url } = signedUrl(s.httpUrl, EVENTS, { method: 'POST', body: big });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 8192) req.write(big.slice(i, i + 8192));
      req.end();
    });
    assert.equal(status, 413);
    await assertStillServes(s);
  });
});

describe('routes', () => {
  test('unknown route: 404; wrong method: 405 with Allow', async () => {
    await expectError(await fetch(`${s.httpUrl}/nothing/here`), 404);
    await expectError(await signedFetch(s.httpUrl, '/apps/test-app/nothing'), 404);
    const res = await signedFetch(s.httpUrl, EVENTS, { method: 'GET' });
    assert.match(res.headers.get('allow') ?? '', /POST/);
    await expectError(res, 405);
    await expectError(await fetch(`${s.httpUrl}/health`, { method: 'DELETE' }), 405);
  });

  test('CORS headers for browsers (requests with Origin), none for server SDKs', async () => {
    const preflight = await fetch(`${s.httpUrl}${EVENTS}`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');
    assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
    const browser = await fetch(`${s.httpUrl}/health`, { headers: { Origin: 'https://app.example' } });
    assert.equal(browser.headers.get('access-control-allow-origin'), '*');
    const sdk = await trigger(s.httpUrl, { name: 'e', data: '1', channel: 'c' });
    assert.equal(sdk.status, 200);
    assert.equal(sdk.headers.get('access-control-allow-origin'), null);
  });

  test('GET /health and /ready', async () => {
    const health = await fetch(`${s.httpUrl}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(`${s.httpUrl}/ready`);
    assert.equal(ready.status, 200);
    const body = await ready.json();
    assert.equal(body.ready, true);
    assert.equal(body.checks.store, 'ok');
  });

  test('info on a trigger returns the requested attributes', async () => {
    const a = await RawClient.established(s.wsUrl());
    const b = await RawClient.established(s.wsUrl());
    await a.subscribe('info-pub');
    await b.subscribe('info-pub');
    const ch = 'presence-info';
    for (const [c, id] of [
      [a, 'u1'],
      [b, 'u2'],
    ] as const) {
      const cd = JSON.stringify({ user_id: id });
      await c.subscribe(ch, channelAuth(s.app.key, s.app.secret, c.socketId, ch, cd), cd);
    }
    const res = await trigger(s.httpUrl, {
      name: 'e',
      data: '1',
      channels: ['info-pub', ch, 'info-empty'],
      info: 'subscription_count,user_count',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      channels: {
        'info-pub': { subscription_count: 2 },
        [ch]: { subscription_count: 2, user_count: 2 },
        'info-empty': { subscription_count: 0 },
      },
    });
    const plain = await trigger(s.httpUrl, { name: 'e', data: '1', channel: 'info-pub' });
    assert.deepEqual(await plain.json(), {});
    await expectError(await trigger(s.httpUrl, { name: 'e', data: '1', channel: 'info-pub', info: 'bogus' }), 400);
    const q = await signedFetch(s.httpUrl, `/apps/test-app/channels/${ch}`, {
      query: { info: 'user_count,subscription_count' },
    });
    assert.deepEqual(await q.json(), { occupied: true, user_count: 2, subscription_count: 2 });
    a.close();
    b.close();
  });
});

describe('garbage never crashes the process', () => {
  test('bad methods, bad URLs, huge headers, non-HTTP bytes', async () => {
    const port = s.httpPort;
    const answers = await Promise.all([
      rawHttp(port, 'FOO / HTTP/1.1\r\nHost: x\r\n\r\n'),
      rawHttp(port, 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\n\r\n'),
      rawHttp(port, 'GET /apps/%E0%A4%A/events HTTP/1.1\r\nHost: x\r\n\r\n'),
      rawHttp(port, 'POST /apps/%E0%A4%A/events?auth_key=%ZZ HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}'),
      rawHttp(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
      rawHttp(
        port,
        `GET /health HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 300 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
      ),
      rawHttp(port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0xff, 0x00, 0x00, 0x00, 0x0d, 0x0a, 0x0d, 0x0a])),
      rawHttp(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n'),
      rawHttp(port, 'GET '.padEnd(20_000, '/') + ' HTTP/1.1\r\n\r\n'),
      rawHttp(port, 'POST /apps/test-app/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"trunc'),
      rawHttp(port, 'GET /app/test-key HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
    ]);
    for (const a of answers) if (a) assert.match(a, /^HTTP\/1\.1 [1-5]\d\d /, a.slice(0, 80));
    // the 404/400 answers are JSON, not a crash page
    assert.match(answers[1], /^HTTP\/1\.1 404 /);
    assert.match(answers[2], /^HTTP\/1\.1 405 /);
    // the WebSocket port: broken upgrades and plain requests
    const up = (extra: string) =>
      `GET /app/test-key?protocol=7 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}\r\n`;
    const wsAnswers = await Promise.all([
      rawHttp(s.wsPort, up('')),
      rawHttp(s.wsPort, up('Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n')),
      rawHttp(s.wsPort, up('Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n')),
      rawHttp(s.wsPort, 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'),
      rawHttp(s.wsPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      rawHttp(s.wsPort, Buffer.alloc(4096, 0xff)),
    ]);
    for (const a of wsAnswers) if (a) assert.match(a, /^HTTP\/1\.1 [1-5]\d\d /, a.slice(0, 80));
    const res = await fetch(`${s.httpUrl}/health`);
    assert.equal(res.status, 200);
    await assertStillServes(s);
  });
});

describe('PUSHI_PATH_PREFIX=/pushi', () => {
  let p: TestServer;
  before(async () => (p = await startServer({ env: { PUSHI_PATH_PREFIX: '/pushi/' } })));
  after(() => p.close());

  test('/pushi/apps/... signed with /apps/... verifies; WebSocket at /pushi/app/{key} works', async () => {
    const c = await RawClient.established(`ws://127.0.0.1:${p.wsPort}/pushi/app/${p.app.key}?protocol=7`);
    await c.subscribe('behind-proxy');
    const res = await trigger(p.httpUrl, { name: 'e', data: '"hi"', channel: 'behind-proxy' }, { prefix: '/pushi' });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await c.waitFor((f) => f.event === 'e')).data, '"hi"');
    // signing the prefixed path is what a misconfigured SDK would do: refused
    await expectError(
      await trigger(
        p.httpUrl,
        { name: 'e', data: '1', channel: 'x' },
        { prefix: '/pushi', signedPath: '/pushi/apps/test-app/events' },
      ),
      401,
    );
    assert.equal((await fetch(`${p.httpUrl}/pushi/health`)).status, 200);
    // the official SDK behind a proxy: the prefix rides in the base URL and is not signed
    await p.sdk({ port: `${p.httpPort}/pushi` }).trigger('behind-proxy', 'sdk', { ok: 1 });
    assert.equal((await c.waitFor((f) => f.event === 'sdk')).data, '{"ok":1}');
    c.close();
  });
});
