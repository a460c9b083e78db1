// The short fuzz run (a few seconds, fixed seed) against `pushi serve` in a child process: no crash,
// no error logged, no unhandled rejection, no 5xx, no mutated signature accepted, and a normal client
// still served at the end. `npm run fuzz` is the long version of the same run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLiveServer, type LiveServer } from './live-server.ts';
import { assertServes, runFuzz } from './fuzz-run.ts';
import { SEED } from './arbitraries.ts';

const APP = { id: 'fuzz-app', key: 'fuzz-key', secret: 'fuzz-secret-0123456789' };
const SECONDS = Number(process.env.PUSHI_FUZZ_TEST_SECONDS ?? 5);
let dir: string;
let server: LiveServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushi-fuzz-test-'));
  const appsFile = join(dir, 'apps.json');
  writeFileSync(appsFile, JSON.stringify({ apps: [{ ...APP, options: { clientEvents: true, persist: true } }] }));
  server = await startLiveServer({ env: { PUSHI_APPS_FILE: appsFile, PUSHI_DB: join(dir, 'pushi.db') } });
});

after(async () => {
  await server?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

test(`fuzzing the live server for ${SECONDS} s (seed ${SEED}) leaves it unharmed`, { timeout: 180_000 }, async () => {
  const target = { wsPort: server.wsPort, httpPort: server.httpPort, app: APP };
  const report = await runFuzz({ target, seed: SEED, durationMs: SECONDS * 1000, concurrency: 4 });
  assert.ok(report.actions > 20, `only ${report.actions} actions ran`);
  assert.deepEqual(report.violations, []);
  assert.equal(server.alive(), true, `the server died:\n${server.stderr()}`);
  await assertServes(target);
  assert.deepEqual(server.problems(), [], 'no crash, no error log line, nothing on stderr');
  // Every kind of hostile input was tried at least once.
  for (const t of ['ws', 'rawws', 'upgrade', 'http', 'signed', 'rawhttp'])
    assert.ok(report.byType[t] > 0, `no ${t} action ran`);
});
