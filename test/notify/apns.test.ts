// APNs end to end on loopback: an HTTP/2 server (self-signed TLS) stands in for Apple, checks the
// provider JWT (ES256 with the .p8 key's public half), the headers and the payload.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { apnsPayload } from '../../src/notify/targets/payload.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { createApp, drained, localhostCert, type TestApp, until } from './helpers.ts';
import { verifyJwt } from './push-service.ts';

interface Received {
  token: string;
  headers: Record<string, string | string[] | undefined>;
  claims: Record<string, unknown>;
  kid: string;
  payload: any;
}

const TOKEN = (n: number) => n.toString(16).padStart(64, 'a');

describe('APNs targets', { timeout: 120_000 }, () => {
  let ts: TestServer;
  let h2: Http2SecureServer;
  let base: string;
  const received: Received[] = [];
  const log: Array<[string, number]> = [];
  const answers = new Map<string, Array<[number, string]>>();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const p8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const options = (over: Record<string, unknown> = {}) => ({
    apnsKey: p8,
    apnsKeyId: 'KEY1234567',
    apnsTeamId: 'TEAM123456',
    apnsTopic: 'com.example.app',
    apnsUrl: base,
    ...over,
  });

  before(async () => {
    const tls = localhostCert();
    h2 = createSecureServer({ key: tls.key, cert: tls.cert });
    h2.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const token = String(headers[':path']).replace('/3/device/', '');
        const reply = (status: number, reason?: string) => {
          log.push([token, status]);
          stream.respond({ ':status': status, 'apns-id': 'x' });
          stream.end(reason ? JSON.stringify({ reason }) : undefined);
        };
        const forced = answers.get(token)?.shift();
        if (forced) return reply(forced[0], forced[1]);
        try {
          assert.equal(headers[':method'], 'POST');
          const [scheme, jwt] = String(headers.authorization).split(' ');
          assert.equal(scheme, 'bearer');
          const claims = verifyJwt(jwt!, publicKey);
          const kid = JSON.parse(Buffer.from(jwt!.split('.')[0]!, 'base64url').toString()).kid as string;
          received.push({ token, headers, claims, kid, payload: JSON.parse(Buffer.concat(chunks).toString()) });
          reply(200);
        } catch (err) {
          reply(403, `InvalidProviderToken ${(err as Error).message}`);
        }
      });
    });
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    base = `https://localhost:${(h2.address() as AddressInfo).port}`;
    ts = await startServer({ notify: { ca: tls.cert, pollMs: 200 } });
  });
  after(async () => {
    await ts?.close();
    await new Promise((r) => h2?.close(r));
  });

  const add = (app: TestApp, channel: string, token: string) =>
    app.call('POST', '/targets', { body: { channel, kind: 'apns', target: token } });

  test('a trigger reaches the device over HTTP/2 with a valid provider token, topic and payload', async () => {
    const app = await createApp(ts, options());
    assert.equal((await add(app, 'news', TOKEN(1).toUpperCase())).status, 201, 'tokens are normalised to lower case');
    await app.call('POST', '/events', { body: { name: 'story', channel: 'news', data: 'Hello phone' } });
    const got = await until(() => received.find((r) => r.token === TOKEN(1)), 'the APNs request');
    assert.equal(got.headers['apns-topic'], 'com.example.app');
    assert.equal(got.headers['apns-push-type'], 'alert');
    assert.equal(got.kid, 'KEY1234567');
    assert.equal(got.claims.iss, 'TEAM123456');
    assert.ok(Math.abs(Number(got.claims.iat) - Date.now() / 1000) < 60);
    assert.deepEqual(got.payload, { aps: { alert: 'Hello phone' } });

    // apn wins over push, push over data.
    const n = received.length;
    await app.call('POST', '/events', { body: { name: 'e', channel: 'news', data: 'd', push: 'from push' } });
    await app.call('POST', '/events', {
      body: {
        name: 'e',
        channel: 'news',
        data: 'd',
        push: 'p',
        apn: { aps: { alert: { title: 'T', body: 'B' }, badge: 3 }, extra: 1 },
      },
    });
    await until(() => received.length >= n + 2, 'two more pushes');
    assert.deepEqual(
      received.slice(n).map((r) => r.payload),
      [{ aps: { alert: 'from push' } }, { aps: { alert: { title: 'T', body: 'B' }, badge: 3 }, extra: 1 }],
    );
    await drained(ts);
  });

  test('Unregistered removes the token; 503 is retried; nothing for other channels', async () => {
    const app = await createApp(ts, options());
    await add(app, 'c', TOKEN(2));
    await add(app, 'other', TOKEN(2)); // the dead token goes from every channel
    await add(app, 'c', TOKEN(3));
    await add(app, 'quiet', TOKEN(4));
    answers.set(TOKEN(2), [[410, 'Unregistered']]);
    answers.set(TOKEN(3), [[503, 'ServiceUnavailable']]);
    await app.call('POST', '/events', { body: { name: 'e', channel: 'c', data: 'x' } });
    await until(() => received.find((r) => r.token === TOKEN(3)), 'the retried push');
    await until(
      async () =>
        (await app.call('GET', '/targets', { query: { kind: 'apns', address: TOKEN(2) } })).body.targets.length === 0,
      'the dead token removed',
    );
    await drained(ts);
    assert.deepEqual(
      log.filter(([t]) => t === TOKEN(3)).map(([, s]) => s),
      [503, 200],
    );
    assert.equal(log.filter(([t]) => t === TOKEN(4)).length, 0);
    assert.deepEqual(
      (await app.call('GET', '/targets', { query: { channel: 'c' } })).body.targets.map((t: any) => t.address),
      [TOKEN(3)],
    );
  });

  test('direct messaging; an app without APNs settings gets a clear refusal', async () => {
    const app = await createApp(ts, options());
    const res = await app.call('POST', '/messaging', {
      body: { data: 'direct', targets: [{ kind: 'apns', target: TOKEN(5) }] },
    });
    assert.deepEqual(res.body.results, [{ kind: 'apns', target: TOKEN(5), success: true, status: 200 }]);
    assert.deepEqual(received.at(-1)!.payload, { aps: { alert: 'direct' } });
    const bare = await createApp(ts);
    const no = await bare.call('POST', '/messaging', {
      body: { data: 'x', targets: [{ kind: 'apns', target: TOKEN(6) }] },
    });
    assert.equal(no.body.results[0].success, false);
    assert.match(no.body.results[0].error, /APNs is not configured/);
  });

  test('payload rules', () => {
    const m = { channel: 'c', event: 'e', data: '{"title":"T","body":"B","id":7}' };
    assert.deepEqual(apnsPayload(m), { aps: { alert: { title: 'T', body: 'B' } }, title: 'T', body: 'B', id: 7 });
    assert.deepEqual(apnsPayload({ ...m, data: '{"aps":{"badge":1}}' }), { aps: { badge: 1 } });
    assert.deepEqual(apnsPayload({ ...m, data: '[1,2]' }), { aps: { alert: '[1,2]' } });
  });
});
