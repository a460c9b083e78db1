// The browser examples in headless Chromium (Debian's package through playwright-core): the
// pusher-js page and the /pushi.js page, each receiving what the back-end examples trigger.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, skipBrowser } from '../helpers/chromium.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { assertBuilt, exampleEnv, runExample, stopAll } from './run-example.ts';

// The page loads pusher-js from this CDN address; the test answers it with the installed copy.
const PUSHER_CDN = 'https://cdn.jsdelivr.net/npm/pusher-js@8/dist/web/pusher.min.js';
const pusherMin = () => readFileSync(createRequire(import.meta.url).resolve('pusher-js/dist/web/pusher.min.js'));

describe('browser examples', { skip: skipBrowser, timeout: 120_000 }, () => {
  let ts: TestServer;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;

  before(async () => {
    assertBuilt();
    ts = await startServer();
    browser = await launchChromium();
    context = browser.context;
    await context.route(PUSHER_CDN, (route) =>
      route.fulfill({ body: pusherMin(), contentType: 'application/javascript' }),
    );
  });

  after(async () => {
    stopAll();
    await browser?.close();
    await ts?.close();
  });

  /** Opens an example page pointed at the test server: its config object and the API address replaced. */
  async function openExample(file: string): Promise<Page> {
    const html = readFileSync(file, 'utf8');
    const config = /const config = \{ key: 'APP_KEY', host: '127\.0\.0\.1', port: 9090 \};/g;
    assert.equal(html.match(config)?.length, 1, `${file} declares the documented config object once`);
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error(`${file}: ${err.message}`)); // shown beside a failure
    // A document of the server's own origin, so Chromium's local-network checks allow its WebSocket.
    await page.goto(`${ts.httpUrl}/health`);
    await page.setContent(
      html
        .replace(config, `const config = { key: '${ts.app.key}', host: '127.0.0.1', port: ${ts.wsPort} };`)
        .replaceAll('http://127.0.0.1:8080', ts.httpUrl),
    );
    return page;
  }

  /** Waits until the server counts `n` subscribers on news: a trigger after it cannot race the page. */
  async function newsSubscribers(n: number): Promise<void> {
    const pusher = ts.sdk();
    for (const deadline = Date.now() + 15_000; ;) {
      const res = await pusher.get({ path: '/channels/news', params: { info: 'subscription_count' } });
      if (((await res.json()) as { subscription_count?: number }).subscription_count === n) return;
      if (Date.now() > deadline) throw new Error(`news never had ${n} subscribers`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  test('pusher-js page receives what the official pusher SDK example triggers', async () => {
    const page = await openExample('examples/browser-pusher-js.html');
    await newsSubscribers(1);
    const trigger = runExample('examples/pusher-sdk-trigger.mjs', exampleEnv(ts));
    assert.equal(await trigger.exited, 0, trigger.lines.join('\n'));
    await page.waitForSelector('#events li');
    assert.deepEqual(await page.locator('#events li').allTextContents(), ['{"text":"hi"}']);
    await page.close();
    await newsSubscribers(0);
  });

  test('/pushi.js page receives what the Pushi SDK example triggers', async () => {
    const page = await openExample('examples/browser-pushi.html');
    await newsSubscribers(1);
    const run = runExample('examples/sdk.mjs', exampleEnv(ts));
    assert.equal(await run.exited, 0, run.lines.join('\n'));
    await page.waitForSelector('#events li');
    assert.deepEqual(await page.locator('#events li').allTextContents(), ['news hello {"text":"hi"}']);
    await page.close();
    await newsSubscribers(0);
  });
});
