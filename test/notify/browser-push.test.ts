// The demo page's push notifications in headless Chromium: the page subscribes its service worker
// (Pushi.webPush), the demo server registers it, a trigger on `demo` is encrypted and sent to a push
// service on loopback, which decrypts it; the push service's delivery to the browser (Google's, in
// real life, not reachable here) is played by DevTools' ServiceWorker.deliverPushMessage, and the
// service worker shows the notification. pushManager.subscribe is stubbed for the same reason: it
// needs Google's push service; the stub hands out keys the test's push service holds.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext } from 'playwright-core';
import { launchChromium, skipBrowser } from '../helpers/chromium.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { localhostCert, until } from './helpers.ts';
import { browserKeys, startPushService, type PushService } from './push-service.ts';

describe('demo page push notifications in Chromium', { skip: skipBrowser, timeout: 180_000 }, () => {
  let ts: TestServer;
  let push: PushService;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  const keys = browserKeys();

  before(async () => {
    const cert = localhostCert();
    push = await startPushService({ browser: keys }, cert); // https: the demo accepts real-looking endpoints only
    ts = await startServer({ env: { PUSHI_DEMO: '1' }, notify: { ca: cert.cert, pollMs: 200 } });
    browser = await launchChromium();
    context = browser.context;
    await context.grantPermissions(['notifications'], { origin: ts.httpUrl });
  });
  after(async () => {
    await browser?.close();
    await ts?.close();
    await push?.close();
  });

  test('enable push, trigger, the service worker shows the notification', async () => {
    // A string, not a function: tsx's keep-names helpers do not exist in the page.
    const stub = { endpoint: push.endpoint('browser'), p256dh: keys.p256dh, auth: keys.auth };
    await context.addInitScript({
      content: `(() => {
        const s = ${JSON.stringify(stub)};
        const bytes = (b64) => Uint8Array.from(atob(b64.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
        let current = null;
        const fake = { endpoint: s.endpoint, expirationTime: null, getKey: (n) => bytes(n === 'auth' ? s.auth : s.p256dh),
          toJSON: () => ({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }), unsubscribe: async () => { current = null; return true; } };
        const pm = self.PushManager && self.PushManager.prototype;
        if (!pm) return;
        pm.subscribe = async (o) => { if (!o || !o.applicationServerKey) throw new Error('no applicationServerKey'); return (current = fake); };
        pm.getSubscription = async () => current;
      })();`,
    });
    const page = await context.newPage();
    await page.setViewportSize({ width: 1200, height: 900 });
    const cdp = await context.newCDPSession(page);
    const registrations: Array<{ registrationId: string; scopeURL: string }> = [];
    cdp.on(
      'ServiceWorker.workerRegistrationUpdated',
      (e: { registrations: Array<{ registrationId: string; scopeURL: string }> }) =>
        registrations.push(...e.registrations),
    );
    await cdp.send('ServiceWorker.enable');

    await page.goto(`${ts.httpUrl}/`);
    await page.waitForSelector('#state:has-text("connected")');
    await page.click('#push-btn');
    await page.waitForFunction(
      () => !/^(|Subscribing…)$/.test(document.getElementById('push-status')!.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    assert.match((await page.textContent('#push-status')) ?? '', /Push notifications on/);
    const targets = await ts.server.store.targets.list(ts.app.id, { channel: 'demo' });
    assert.deepEqual(
      targets.map((t) => [t.kind, t.address]),
      [['web_push', push.endpoint('browser')]],
    );

    await page.fill('#t-data', 'push from the demo');
    await page.click('#trigger button');
    const [got] = await push.waitFor(1);
    assert.equal(got!.payload, 'push from the demo');

    const reg = await until(
      () => registrations.find((r) => r.scopeURL.endsWith('/demo/')),
      'the service worker registration',
    );
    await cdp.send('ServiceWorker.deliverPushMessage', {
      origin: new URL(ts.httpUrl).origin,
      registrationId: reg.registrationId,
      data: got!.payload,
    });
    await page.waitForSelector('#pushes li:has-text("push from the demo")');
    const shown = await page.evaluate(async () => {
      const r = await navigator.serviceWorker.getRegistration('/demo/');
      return (await r!.getNotifications()).map((n) => ({ title: n.title, body: n.body }));
    });
    assert.deepEqual(shown, [{ title: 'Pushi', body: 'push from the demo' }]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/demo-push.png', fullPage: true });
    await page.close();
  });
});
