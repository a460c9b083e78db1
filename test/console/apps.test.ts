// The console's app routes (/console/api/apps...): the admin API's answers with notification
// secrets left out (only whether each is set), secrets kept when not sent and cleared when sent
// empty; connections per app and the default app, which the Live tab opens on.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { newVapidKeys } from '../../src/notify/targets/web-push.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { call, type Json } from './helpers.ts';

const SMTP_PASSWORD = 'smtp-pass-' + Math.random().toString(36).slice(2);
const apnsKey = () =>
  generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('console app routes', () => {
  let ts: TestServer;
  before(async () => (ts = await startServer({ env: { PUSHI_ADMIN_TOKEN: 'console-token-for-tests' } })));
  after(() => ts?.close());

  test('notification secrets are write-only: stored, never answered, kept unless replaced or cleared', async () => {
    const vapid = newVapidKeys();
    const key = apnsKey();
    const secrets = {
      vapidPrivateKey: vapid.vapidPrivateKey,
      apnsKey: key,
      smtpUrl: `smtp://ops:${SMTP_PASSWORD}@mx.test:587`,
    };
    const options = { ...secrets, vapidPublicKey: vapid.vapidPublicKey, vapidSubject: 'mailto:ops@example.com' };
    const saved = await call(ts, 'PATCH', '/console/api/apps/test-app', { options });
    assert.equal(saved.status, 200, saved.text);
    const answers: Json[] = [
      saved,
      await call(ts, 'GET', '/console/api/apps/test-app'),
      await call(ts, 'GET', '/console/api/apps'),
      await call(ts, 'POST', '/console/api/apps/test-app/rotate_secret'),
    ];
    for (const a of answers) {
      assert.equal(a.status, 200, a.text);
      for (const value of [SMTP_PASSWORD, vapid.vapidPrivateKey, 'PRIVATE KEY'])
        assert.ok(!a.text.includes(value), `no secret in ${a.text.slice(0, 200)}`);
    }
    const view = answers[1].body;
    assert.deepEqual(view.secrets_set, { vapidPrivateKey: true, apnsKey: true, smtpUrl: true });
    assert.equal(view.options.vapidPublicKey, vapid.vapidPublicKey, 'what is not secret is shown');
    assert.equal(view.options.vapidSubject, 'mailto:ops@example.com');
    assert.ok(!('smtpUrl' in view.options) && !('apnsKey' in view.options) && !('vapidPrivateKey' in view.options));
    const listed = answers[2].body.apps.find((a: Json) => a.id === 'test-app');
    assert.deepEqual(listed.secrets_set, view.secrets_set);

    // The admin API itself has them, unchanged.
    let stored = (await call(ts, 'GET', '/apps/test-app')).body.options;
    assert.deepEqual([stored.vapidPrivateKey, stored.apnsKey, stored.smtpUrl], Object.values(secrets));

    // Saving other fields (as the console does when a secret field is left empty) keeps them.
    const other = await call(ts, 'PATCH', '/console/api/apps/test-app', { options: { emailFrom: 'ops@example.com' } });
    assert.equal(other.status, 200, other.text);
    stored = (await call(ts, 'GET', '/apps/test-app')).body.options;
    assert.equal(stored.smtpUrl, secrets.smtpUrl);
    assert.equal(stored.emailFrom, 'ops@example.com');

    // Sent empty, a secret is cleared.
    const cleared = await call(ts, 'PATCH', '/console/api/apps/test-app', { options: { smtpUrl: '' } });
    assert.deepEqual(cleared.body.secrets_set, { vapidPrivateKey: true, apnsKey: true, smtpUrl: false });
    assert.equal((await call(ts, 'GET', '/apps/test-app')).body.options.smtpUrl, '');

    // Bad values get the admin API's error, naming the option.
    const bad = await call(ts, 'PATCH', '/console/api/apps/test-app', { options: { smtpUrl: 'http://nope' } });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /smtpUrl/);
  });

  test('apps are created and deleted through the console routes; unknown apps are 404', async () => {
    const made = await call(ts, 'POST', '/console/api/apps', { name: 'made-here' });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual(made.body.secrets_set, { vapidPrivateKey: false, apnsKey: false, smtpUrl: false });
    assert.equal((await call(ts, 'GET', `/apps/${made.body.id}`)).body.name, 'made-here');
    assert.equal((await call(ts, 'DELETE', `/console/api/apps/${made.body.id}`)).status, 200);
    assert.equal((await call(ts, 'GET', `/console/api/apps/${made.body.id}`)).status, 404);
  });

  test('the list counts the connections of each app; the info names the default app', async () => {
    const other = (await call(ts, 'POST', '/console/api/apps', { name: 'busy' })).body;
    const clients = [
      await RawClient.established(ts.wsUrl(other.key)),
      await RawClient.established(ts.wsUrl(other.key)),
    ];
    const one = await RawClient.established(ts.wsUrl());
    try {
      const apps = (await call(ts, 'GET', '/console/api/apps')).body.apps as Json[];
      const count = (id: string) => apps.find((a) => a.id === id)?.connections;
      assert.deepEqual([count(other.id), count('test-app')], [2, 1]);
      assert.equal((await call(ts, 'GET', '/console/api/info')).body.default_app, 'test-app');
    } finally {
      for (const c of [...clients, one]) c.close();
    }
  });
});
