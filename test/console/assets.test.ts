// The browser files (the client, the console's and the demo's scripts and stylesheets, the demo's
// service worker, the console page) served with a strong ETag and Cache-Control, answered 304 when
// the browser's copy is current; under PUSHI_PATH_PREFIX too, and with the demo off.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.ts';
import { TOKEN } from './helpers.ts';

const ASSETS: [path: string, type: RegExp][] = [
  ['/pushi.js', /javascript/],
  ['/console', /text\/html/],
  ['/console/console.js', /javascript/],
  ['/console/console.css', /text\/css/],
  ['/demo/app.js', /javascript/],
  ['/demo/style.css', /text\/css/],
  ['/demo/sw.js', /javascript/],
];

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers });

/** Every asset answers 200 with a strong ETag, then 304 (no body) for that ETag, alone or in a list. */
async function checkCaching(base: string): Promise<Map<string, string>> {
  const etags = new Map<string, string>();
  for (const [path, type] of ASSETS) {
    const first = await get(base + path);
    const body = await first.text();
    assert.equal(first.status, 200, path);
    assert.match(first.headers.get('content-type')!, type, path);
    assert.ok(body.length > 100, `${path} has content`);
    const etag = first.headers.get('etag')!;
    assert.match(etag, /^"[A-Za-z0-9_-]{16,}"$/, `${path}: a strong ETag, got ${etag}`);
    assert.ok(first.headers.get('cache-control'), `${path} says how to cache it`);
    etags.set(path, etag);

    const again = await get(base + path, { 'If-None-Match': etag });
    assert.equal(again.status, 304, path);
    assert.equal(await again.text(), '', `${path}: a 304 has no body`);
    assert.equal(again.headers.get('etag'), etag, path);
    const listed = await get(base + path, { 'If-None-Match': `"other", W/${etag}` });
    assert.equal(listed.status, 304, `${path}: If-None-Match lists (weak comparison, RFC 9110)`);
    await listed.text();
    const stale = await get(base + path, { 'If-None-Match': '"not-this-one"' });
    assert.equal(stale.status, 200, path);
    assert.equal(await stale.text(), body, `${path}: the same content each time`);
  }
  assert.equal(new Set(etags.values()).size, ASSETS.length, 'each file has its own ETag');
  return etags;
}

describe('browser assets', () => {
  let ts: TestServer;
  before(async () => (ts = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN, PUSHI_DEMO: '1' } })));
  after(() => ts?.close());

  test('have a strong ETag and Cache-Control, and answer 304 to If-None-Match', async () => {
    await checkCaching(ts.httpUrl);
    assert.match((await get(`${ts.httpUrl}/pushi.js`)).headers.get('cache-control')!, /max-age=\d+/);
    assert.equal((await get(`${ts.httpUrl}/console/console.js`)).headers.get('cache-control'), 'no-cache');
  });

  test('the console script is built from src/console/browser: the sign-in form and the API paths are in it', async () => {
    const js = await (await get(`${ts.httpUrl}/console/console.js`)).text();
    for (const part of ['login-form', '/console/api/apps', '/console/api/info']) assert.ok(js.includes(part), part);
    const css = await (await get(`${ts.httpUrl}/console/console.css`)).text();
    assert.match(css, /#stream/);
  });

  test('both stylesheets carry the shared base inline: no @import is left for the browser to fetch', async () => {
    for (const path of ['/console/console.css', '/demo/style.css']) {
      const css = await (await get(ts.httpUrl + path)).text();
      assert.doesNotMatch(css, /@import/, path);
      assert.match(css, /--accent:/, `${path}: the base colours`);
      assert.match(css, /\.pill\.connected/, `${path}: the base badges`);
    }
  });
});

describe('browser assets under PUSHI_PATH_PREFIX', () => {
  let ts: TestServer;
  before(
    async () =>
      (ts = await startServer({ env: { PUSHI_ADMIN_TOKEN: TOKEN, PUSHI_DEMO: '1', PUSHI_PATH_PREFIX: '/rt' } })),
  );
  after(() => ts?.close());

  test('the pages name their files under the prefix, and the files are served there with the same caching', async () => {
    const page = await (await get(`${ts.httpUrl}/rt/console`)).text();
    assert.match(page, /href="\/rt\/console\/console\.css"/);
    assert.match(page, /src="\/rt\/console\/console\.js"/);
    const demo = await (await get(`${ts.httpUrl}/rt/`)).text();
    for (const path of ['/rt/demo/style.css', '/rt/pushi.js', '/rt/demo/app.js']) assert.ok(demo.includes(path), path);
    await checkCaching(`${ts.httpUrl}/rt`);
  });
});

describe('browser assets with the demo off', () => {
  let ts: TestServer;
  before(async () => (ts = await startServer({ env: { PUSHI_DEMO: '0' } })));
  after(() => ts?.close());

  test('GET / is the landing page, the service worker answers 404; /pushi.js is served', async () => {
    const landing = await get(`${ts.httpUrl}/`);
    assert.match(await landing.text(), /PUSHI_DEMO=0/);
    const sw = await get(`${ts.httpUrl}/demo/sw.js`);
    assert.equal(sw.status, 404);
    assert.match(((await sw.json()) as { error: string }).error, /Demo mode is off/);
    assert.equal((await get(`${ts.httpUrl}/pushi.js`)).status, 200);
  });
});
