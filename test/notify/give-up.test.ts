// Queued notifications that cannot succeed end at once instead of being retried for
// webhookRetryForMs (5 minutes by default): a target removed while its notification was failing,
// and Web Push for an app without VAPID keys (failed once, saying why).
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { Pushi } from '../../src/sdk/index.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { createApp, drained, until } from './helpers.ts';

let ts: TestServer;
let failing: Server;
let failingUrl: string;
const requests: string[] = [];

before(async () => {
  // Answers 500 to everything: a webhook target or push service that never accepts.
  failing = createServer((req, res) => {
    requests.push(req.url ?? '');
    req.resume();
    req.on('end', () => res.writeHead(500).end());
  });
  await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
  failingUrl = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
  ts = await startServer({ notify: { pollMs: 200 } });
});
after(async () => {
  await ts?.close();
  failing?.closeAllConnections();
  await new Promise((r) => failing?.close(r));
});

const sdk = (app: { id: string; key: string; secret: string }) =>
  new Pushi({ appId: app.id, appKey: app.key, appSecret: app.secret, port: ts.httpPort });

test('a target removed while its notification is being retried gets no more attempts', async () => {
  const app = await createApp(ts); // retries every 50 ms, doubling, for the default 5 minutes
  const pushi = sdk(app);
  await pushi.addTarget({ channel: 'alerts', kind: 'webhook', target: `${failingUrl}/removed` });
  await pushi.triggerEvent({ channel: 'alerts', event: 'fire', data: '1' });
  await until(() => requests.filter((r) => r === '/removed').length >= 2, 'a first retry');
  assert.equal((await pushi.removeTargets({ channel: 'alerts' })).removed, 1);
  await drained(ts);
  const attempts = requests.filter((r) => r === '/removed').length;
  assert.ok(attempts <= 3, `at most the attempt in flight when it was removed, got ${attempts}`);
});

test('Web Push for an app without VAPID keys fails once, naming the missing keys', async () => {
  const app = await createApp(ts);
  const pushi = sdk(app);
  const target = {
    endpoint: `${failingUrl}/push`,
    p256dh: Buffer.alloc(65, 4).toString('base64url'),
    auth: Buffer.alloc(16, 1).toString('base64url'),
  };
  await pushi.addTarget({ channel: 'alerts', kind: 'web_push', target });
  await pushi.triggerEvent({ channel: 'alerts', event: 'fire', data: '1' });
  await drained(ts);
  assert.equal((await ts.server.store.apps.get(app.id))!.options.vapidPublicKey, undefined, 'no keys made here');
  assert.ok(!requests.includes('/push'), 'nothing sent to the push service');
  const direct = await app.call('POST', '/messaging', {
    body: { targets: [{ kind: 'web_push', target }], data: 'x' },
  });
  assert.equal(direct.status, 200);
  assert.match(direct.body.results[0].error, /no VAPID keys.*GET \/apps\/\{id\}\/vapid_key/);
});
