// The console's Live tab in headless Chromium, right after signing in: it opens on the app with
// the most connections, or the default app when none has any (not the first by name), and its
// empty state spans the whole row.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { call, DESKTOP, launchChromium, PHONE, skipBrowser, TOKEN, type Json } from './helpers.ts';

describe('console Live tab after sign-in', { skip: skipBrowser, timeout: 180_000 }, () => {
  let ts: TestServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let busy: Json;

  before(async () => {
    ts = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN } });
    // Both sort before the default app (test-app) by name.
    await call(ts, 'POST', '/apps', { name: 'Alpha' });
    busy = (await call(ts, 'POST', '/apps', { name: 'Busy' })).body;
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await ts?.close();
  });

  /** A new tab (nothing remembered), signed in, on the Live tab once its stream is live. */
  async function openLive(): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize(DESKTOP);
    await page.goto(`${ts.httpUrl}/console`);
    await page.fill('#token', TOKEN);
    await page.click('#login-btn');
    await page.waitForSelector('#app-list');
    await page.click('#tabs a[data-tab=live]');
    await page.waitForSelector('#stream-state:has-text("live")');
    return page;
  }

  /** The empty state's text: how many lines it takes and how wide it is, against the list's width. */
  const emptyLayout = (page: Page) =>
    page.evaluate(() => {
      const li = document.querySelector('#stream li.empty')!;
      const range = document.createRange();
      range.selectNodeContents(li);
      const tops = new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top)));
      return { lines: tops.size, width: range.getBoundingClientRect().width, list: li.parentElement!.clientWidth };
    });

  test('with no connections anywhere it opens on the default app; the empty state has the whole row', async () => {
    const page = await openLive();
    assert.equal(await page.inputValue('#app-select'), 'test-app');
    assert.match(await page.locator('.page-head h2').innerText(), /Live: test-app/);
    await page.waitForSelector('#stream li.empty:has-text("Waiting for activity")');
    const desktop = await emptyLayout(page);
    assert.equal(desktop.lines, 1, `one line at desktop width: ${JSON.stringify(desktop)}`);
    await page.setViewportSize(PHONE);
    const phone = await emptyLayout(page);
    assert.ok(phone.width > phone.list * 0.6, `wider than the time column on a phone: ${JSON.stringify(phone)}`);
    await page.close();
  });

  test('it opens on the app with the most connections', async () => {
    const clients = [
      await RawClient.established(ts.wsUrl(busy.key)),
      await RawClient.established(ts.wsUrl(busy.key)),
      await RawClient.established(ts.wsUrl()),
    ];
    try {
      const page = await openLive();
      assert.equal(await page.inputValue('#app-select'), busy.id);
      assert.match(await page.locator('.page-head h2').innerText(), /Live: Busy/);
      await page.close();
    } finally {
      for (const c of clients) c.close();
    }
  });
});
