// SIGHUP on `pushi serve`: the apps file is read again, open sockets follow the change, and the
// process keeps running, also when the signal comes during start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startChildServer } from '../helpers/child-server.ts';
import { freePort } from '../helpers/ports.ts';
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

test(
  'SIGHUP during start-up does not kill the process: the reload runs once the server is up',
  { timeout: 90_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pushi-hup-'));
    const appsFile = join(dir, 'apps.json');
    // The apps file is a FIFO: start-up blocks reading it until this test writes, so the signal
    // surely arrives mid start-up. The path then names a regular file (A and B) for the reload.
    execFileSync('mkfifo', [appsFile]);
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !/^(PUSHI_|DATABASE_|APP_|SERVER_|LOG_)/.test(k)),
        ),
        PUSHI_APPS_FILE: appsFile,
        PUSHI_DB: join(dir, 'pushi.db'),
        SERVER_HOST: '127.0.0.1',
        SERVER_PORT: String(port),
        APP_HOST: '127.0.0.1',
        APP_PORT: String(port),
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    for (const s of [child.stdout, child.stderr]) s.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const fifo = await open(appsFile, 'w'); // opens once the server is reading it
      const later = join(dir, 'apps-later.json');
      writeFileSync(later, JSON.stringify({ apps: [A, B] }));
      renameSync(later, appsFile);
      process.kill(child.pid!, 'SIGHUP');
      await fifo.writeFile(JSON.stringify({ apps: [A] }));
      await fifo.close();
      const deadline = Date.now() + 60_000;
      while (!/SIGHUP: apps reloaded/.test(output)) {
        assert.deepEqual([child.exitCode, child.signalCode], [null, null], `the process died:\n${output}`);
        assert.ok(Date.now() < deadline, `the reload is logged:\n${output}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // B was only in the file the reload read.
      const b = await RawClient.established(`ws://127.0.0.1:${port}/app/${B.key}?protocol=7`);
      b.close();
      child.kill('SIGTERM');
      assert.equal(await exited, 0, output);
      assert.equal(output.match(/SIGHUP: apps reloaded/g)?.length, 1, output);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
