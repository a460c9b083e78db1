#!/usr/bin/env node
// The long fuzz run against a live `pushi serve` child process (run through tsx: `npm run fuzz`).
// Random and mutated WebSocket frames, truncated/oversized/fragmented/binary frames, invalid UTF-8,
// odd upgrades, random HTTP methods/paths/headers/bodies, mutated signed requests and slow-loris
// connections, from a fixed seed for a bounded time. Passes when the process never crashed, logged
// no error (unhandled rejection, unexpected error), answered no 5xx, accepted no mutated signature,
// and still serves a normal client at the end.
//
//   npm run fuzz -- [--seconds 120] [--seed 20240601] [--concurrency 6] [--json]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startLiveServer } from '../test/hardening/live-server.ts';
import { assertServes, runFuzz } from '../test/hardening/fuzz-run.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    seed: { type: 'string', default: process.env.PUSHI_FUZZ_SEED ?? '20240601' },
    concurrency: { type: 'string', default: '6' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: npm run fuzz -- [--seconds N] [--seed N] [--concurrency N] [--json]');
  process.exit(0);
}
const seconds = Number(values.seconds);
const seed = Number(values.seed);
const concurrency = Number(values.concurrency);
if (!(seconds > 0) || !Number.isInteger(seed) || !(concurrency > 0)) {
  console.error('fuzz: --seconds, --seed and --concurrency must be positive numbers');
  process.exit(2);
}

const APP = { id: 'fuzz-app', key: 'fuzz-key', secret: 'fuzz-secret-0123456789' };
const dir = mkdtempSync(join(tmpdir(), 'pushi-fuzz-'));
const appsFile = join(dir, 'apps.json');
writeFileSync(
  appsFile,
  JSON.stringify({ apps: [{ ...APP, options: { clientEvents: true, persist: true, subscriptionCount: true } }] }),
);

const log = (...a) => !values.json && console.log(...a);
log(`fuzz: seed ${seed}, ${seconds} s, ${concurrency} in parallel; starting pushi serve…`);
const server = await startLiveServer({
  env: {
    PUSHI_APPS_FILE: appsFile,
    PUSHI_DB: join(dir, 'pushi.db'),
    PUSHI_MAX_MESSAGE_BYTES: '65536',
    LOG_LEVEL: 'warn',
  },
});
let failed;
let report;
let servesError;
try {
  report = await runFuzz({
    target: { wsPort: server.wsPort, httpPort: server.httpPort, app: APP },
    seed,
    durationMs: seconds * 1000,
    concurrency,
    onProgress: (r) =>
      log(`  … ${r.actions} actions, ${r.violations.length} violations, server ${server.alive() ? 'up' : 'DOWN'}`),
  });
  if (server.alive())
    await assertServes({ wsPort: server.wsPort, httpPort: server.httpPort, app: APP }).catch(
      (e) => (servesError = e.message),
    );
} finally {
  const problems = server.problems();
  const alive = server.alive();
  await server.stop('SIGTERM');
  failed = !alive || problems.length > 0 || !report || report.violations.length > 0 || servesError !== undefined;
  const summary = { seed, seconds, alive, problems, servesError: servesError ?? null, ...report };
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    log(`\nactions: ${report?.actions ?? 0} ${JSON.stringify(report?.byType ?? {})}`);
    log(`HTTP statuses: ${JSON.stringify(report?.httpStatus ?? {})}`);
    log(`WebSocket close codes seen by clients: ${JSON.stringify(report?.closeCodes ?? {})}`);
    log(
      `server alive to the end: ${alive}; still serves a normal client: ${!alive ? 'not checked (server down)' : servesError ? `NO (${servesError})` : 'yes'}`,
    );
    log(`server problems (crash, error logs, stderr): ${problems.length}`);
    for (const p of problems.slice(0, 20)) log(`  ${p}`);
    log(`violations (5xx, mutated signature accepted, malformed frames): ${report?.violations.length ?? 'n/a'}`);
    for (const v of report?.violations.slice(0, 20) ?? []) log(`  ${v}`);
    log(failed ? '\nFUZZ FAILED' : '\nfuzz passed');
  }
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
