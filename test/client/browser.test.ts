// The browser client in headless Chromium (Debian's package, driven by playwright-core): /pushi.js
// from the server, events, a server restart, and the demo page (screenshot in test-results/).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, skipBrowser } from '../helpers/chromium.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { onSamePort } from '../helpers/ports.ts';
import { sdk } from './util.ts';

describe('browser client and demo page', { skip: skipBrowser, timeout: 180_000 }, () => {
  let ts: TestServer;
  let context: BrowserContext;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let dataDir: string;
  let env: Record<string, string>;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pushi-browser-'));
    ts = await startServer({ dataDir, env: { PUSHI_DEMO: '1' } });
    // The restart below binds the same ports again.
    env = { SERVER_PORT: String(ts.wsPort), APP_PORT: String(ts.httpPort), PUSHI_DEMO: '1' };
    browser = await launchChromium();
    context = browser.context;
  });

  after(async () => {
    await browser?.close();
    await ts?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('a page with <script src="/pushi.js"> subscribes, receives, and survives a server restart', async () => {
    const page = await context.newPage();
    // A document of the server's own origin (a test-fulfilled one would count as a public address
    // and Chromium's local-network checks would block its WebSocket), then the test's HTML in it.
    await page.goto(`${ts.httpUrl}/health`);
    await page.setContent('<!doctype html><title>t</title><script src="/pushi.js"></script>');
    await page.evaluate((port) => {
      const w = window as any;
      w.received = [];
      w.p = new w.Pushi('test-key', { host: '127.0.0.1', port, reconnect: { minDelay: 50, maxDelay: 500 } });
      w.ch = w.p.subscribe('browser');
      w.ch.bind('hello', (event: string, data: unknown, meta: { channel: string }) =>
        w.received.push({ event, data, channel: meta.channel }),
      );
    }, ts.wsPort);
    await page.waitForFunction(() => (window as any).ch.subscribed);
    await sdk(ts).triggerEvent({ channel: 'browser', event: 'hello', data: { n: 1 } });
    await page.waitForFunction(() => (window as any).received.length === 1);
    assert.deepEqual(await page.evaluate(() => (window as any).received[0]), {
      event: 'hello',
      data: { n: 1 },
      channel: 'browser',
    });

    const first = await page.evaluate(() => (window as any).p.socketId);
    await ts.server.close();
    await page.waitForFunction(() => !(window as any).ch.subscribed);
    ts = await onSamePort(() => startServer({ dataDir, env }));
    await page.waitForFunction((old) => (window as any).ch.subscribed && (window as any).p.socketId !== old, first);
    await sdk(ts).triggerEvent({ channel: 'browser', event: 'hello', data: { n: 2 } });
    await page.waitForFunction(() => (window as any).received.length === 2);
    assert.deepEqual(await page.evaluate(() => (window as any).received[1].data), { n: 2 });
    await page.close();
  });

  test('the demo page connects, triggers, chats over presence and peer channels; screenshot saved', async () => {
    const alice = await context.newPage();
    await alice.setViewportSize({ width: 1200, height: 760 });
    await alice.goto(`${ts.httpUrl}/`);
    await waitText(alice, '#state', 'connected');
    await alice.fill('#t-data', 'hello from the browser test');
    await alice.click('#trigger button');
    await alice.waitForSelector('#events li:has-text("hello from the browser test")');

    const bob = await context.newPage();
    await bob.goto(`${ts.httpUrl}/`);
    for (const [page, name] of [
      [alice, 'alice'],
      [bob, 'bob'],
    ] as const) {
      await waitText(page, '#state', 'connected');
      await page.fill('#name', name);
      await page.click('#join-btn');
      await page.waitForSelector(`#members li:has-text("${name} (you)")`);
    }
    await alice.waitForSelector('#members li:has-text("bob")');
    await alice.fill('#text', 'hi all');
    await alice.click('#say-btn');
    await bob.waitForSelector('#messages div:has-text("hi all")');
    // Private message on the peer channel the server made for the pair.
    await alice.click('#members li:has-text("bob")');
    await alice.fill('#text', 'just for you, bob');
    await alice.click('#say-btn');
    await bob.waitForSelector('#messages .private:has-text("just for you, bob")');

    mkdirSync('test-results', { recursive: true });
    await alice.screenshot({ path: 'test-results/demo.png', fullPage: true });
    assert.ok(existsSync('test-results/demo.png'));
    await Promise.all([alice.close(), bob.close()]);
  });
});

function waitText(page: Page, selector: string, text: string) {
  return page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text] as const);
}
