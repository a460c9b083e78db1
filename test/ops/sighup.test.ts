// SIGHUP on `pushi serve`: the apps file is read again, open sockets follow the change, and the
// process keeps running (it used to die at once, without telling clients anything).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildServer } from '../helpers/child-server.ts';
import { RawClient } from '../helpers/raw-client.ts';

const A = { id: 'hup-a', key: 'hup-a-key', secret: 'hup-a-secret' };
const B = { id: 'hup-b', key: 'hup-b-key', secret: 'hup-b-secret' };

test('SIGHUP reloads the apps file; the process keeps serving', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pushi-hup-'));
  const appsFile = join(dir, 'apps.json');
  writeFileSync(appsFile, JSON.stringify({ apps: [A] }));
  const child = await startChildServer({
    PUSHI_APPS_FILE: appsFile,
    PUSHI_DB: join(dir, 'pushi.db'),
    LOG_LEVEL: 'info',
  });
  try {
    const a = await RawClient.established(child.wsUrl(A.key));
    assert.equal((await a.subscribe('news')).event, 'pusher_internal:subscription_succeeded');
    // A disabled, B added: A's open socket is closed with 4003, B connects.
    writeFileSync(appsFile, JSON.stringify({ apps: [{ ...A, enabled: false }, B] }));
    process.kill(child.pid, 'SIGHUP');
    assert.equal(await a.waitClose(10_000), 4003, child.output());
    const b = await RawClient.established(child.wsUrl(B.key));
    assert.equal((await b.subscribe('news')).event, 'pusher_internal:subscription_succeeded');
    await child.sdk(B).trigger('news', 'after-reload', { ok: true });
    await b.waitFor((f) => f.event === 'after-reload');
    // A broken file is refused and logged; the apps loaded before stay.
    writeFileSync(appsFile, '{ not json');
    process.kill(child.pid, 'SIGHUP');
    const deadline = Date.now() + 10_000;
    while (!/apps not reloaded/.test(child.output())) {
      assert.ok(Date.now() < deadline, `the failed reload is logged:\n${child.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await child.sdk(B).trigger('news', 'still-here', {});
    await b.waitFor((f) => f.event === 'still-here');
    b.close();
    assert.equal((await child.kill('SIGTERM')).code, 0, child.output());
  } finally {
    await child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
