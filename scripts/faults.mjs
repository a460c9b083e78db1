#!/usr/bin/env node
// Fault injection against `pushi serve` child processes (run through tsx: `npm run faults`).
// Each phase runs a stream of persisted triggers, breaks a dependency mid-run, restores it, and
// checks: failures were clear (503 "Storage unavailable …", /ready degraded), live traffic kept
// flowing, the server recovered by itself, nothing acknowledged was lost, nothing crashed.
//
//   sqlite-readonly   the SQLite file and its WAL made immutable (chattr +i: read-only even for root)
//   sqlite-locked     another process holds SQLite's write lock (BEGIN EXCLUSIVE)
//   pg-terminate      every backend of the server killed repeatedly (pg_terminate_backend)
//   pg-down           PostgreSQL unreachable (connections cut, port refusing) via a TCP proxy
//   pg-blackhole      PostgreSQL not answering (connections open, nothing forwarded) via a TCP proxy
//   redis-cut         one of two nodes loses Redis (refused), then gets it back; events published on
//                     the healthy node meanwhile all reach the other's clients (none lost), and
//                     presence shows every member on both nodes after the restore
//   redis-blackhole   the same with Redis not answering (faults-redis.mjs)
//   slow-consumer     a client that stops reading sees 4100 within 5 s once it reads again
//                     (faults-slow-consumer.mjs)
//   sigkill-sqlite / sigkill-pg   SIGKILL during a burst of persisted triggers, restart, verify
// The shared PostgreSQL and Redis servers are never stopped: each phase uses its own schema,
// application_name, key prefix or proxy.
//
//   npm run faults -- [--only a,b] [--outage 5] [--kills 3] [--json]
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startLiveServer } from '../test/hardening/live-server.ts';
import { redisPhase } from './faults-redis.mjs';
import { slowConsumerPhase } from './faults-slow-consumer.mjs';
import {
  api,
  lagMaxMs,
  LAG_SAMPLING_MS,
  missingAcked,
  Publisher,
  readyStatus,
  TcpProxy,
  untilReady,
} from '../test/hardening/fault-kit.ts';
import { postgresForTests } from '../test/helpers/postgres.ts';
import { RawClient } from '../test/helpers/raw-client.ts';

const PHASES = [
  'sqlite-readonly',
  'sqlite-locked',
  'pg-terminate',
  'pg-down',
  'pg-blackhole',
  'redis-cut',
  'redis-blackhole',
  'slow-consumer',
  'sigkill-sqlite',
  'sigkill-pg',
];
const { values: v } = parseArgs({
  options: {
    only: { type: 'string' },
    outage: { type: 'string', default: '5' },
    kills: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const only = v.only ? v.only.split(',') : PHASES;
for (const p of only)
  if (!PHASES.includes(p)) {
    console.error(`faults: unknown phase ${p} (${PHASES.join(', ')})`);
    process.exit(2);
  }
const OUTAGE_MS = Number(v.outage) * 1000;
const KILLS = Number(v.kills);
const log = (...a) => !v.json && console.log(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const APP = { id: 'faults-app', key: 'faults-key', secret: 'faults-secret-0123456789' };
const EXPECTED = /unavailable|redis/i; // error lines a fault is supposed to cause

const dir = mkdtempSync(join(tmpdir(), 'pushi-faults-'));
const appsFile = join(dir, 'apps.json');
writeFileSync(
  appsFile,
  JSON.stringify({ apps: [{ ...APP, options: { persist: true, clientEvents: true, maxApiRequestsPerSecond: 0 } }] }),
);
const immutable = new Set();
const unlock = () => {
  for (const f of immutable) execFileSync('chattr', ['-i', f]);
  immutable.clear();
};
process.on('exit', () => {
  unlock(); // never leave an immutable file behind
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

/** What an outage may cost, at most (ms): the store's deadlines (defaults) plus room for a busy machine. */
const BOUNDS = { readyMs: 2000, socketMs: 2000, plainTriggerMs: 1500, storedTriggerMs: 5000 + 2000, blockMs: 100 };

/**
 * The common shape: start a server, publish persisted triggers, break something for OUTAGE_MS while
 * checking /ready, new sockets (subscribing reads the stored history: the app stores every event)
 * and live (non-persisted) traffic, restore it, wait for recovery, verify.
 */
async function outagePhase(name, env, breakIt, o = {}) {
  const s = await startLiveServer({ env: { PUSHI_APPS_FILE: appsFile, ...env }, expectedErrors: EXPECTED });
  const pub = new Publisher(() => s, APP, 'burst');
  const r = { phase: name, checks: {}, details: {} };
  try {
    const live = await RawClient.established(s.wsUrl(APP.key));
    await live.subscribe('live');
    pub.start();
    await sleep(2000);
    await lagMaxMs(s); // reset the lag window: the next reading covers the outage only
    const restore = await breakIt(s);
    const ready = [];
    const worst = { readyMs: 0, socketMs: 0, plainTriggerMs: 0 };
    const timed = async (what, work) => {
      const started = Date.now();
      const result = await work();
      worst[what] = Math.max(worst[what], Date.now() - started);
      return result;
    };
    let liveSent = 0;
    let socketsRefused = 0;
    const end = Date.now() + OUTAGE_MS;
    while (Date.now() < end) {
      ready.push(await timed('readyMs', () => readyStatus(s)));
      const n = liveSent++;
      const t = await timed('plainTriggerMs', () =>
        api(s, APP, 'POST', `/apps/${APP.id}/events`, {
          body: { name: 'volatile', channel: 'live', data: `{"n":${n}}`, persist: false },
        }).catch((e) => ({ status: e.message })),
      );
      if (t.status === 200)
        await live.waitFor((f) => f.event === 'volatile' && f.data === `{"n":${n}}`, 15_000).catch(() => undefined);
      const joined = await timed('socketMs', async () => {
        const c = await RawClient.established(s.wsUrl(APP.key)).catch(() => undefined);
        const ok = (await c?.subscribe(`probe-${n}`).catch(() => undefined))?.event;
        c?.close();
        return ok === 'pusher_internal:subscription_succeeded';
      });
      if (!joined) socketsRefused++;
      await sleep(300);
    }
    const lag = await lagMaxMs(s);
    await restore();
    r.details.recoveredInMs = await untilReady(s, 60_000);
    const before = pub.acked.size;
    for (let i = 0; i < 300 && pub.acked.size <= before; i++) await sleep(100);
    await sleep(1000);
    await pub.stop();
    const missing = await missingAcked(s, APP, 'burst', pub.acked);
    Object.defineProperty(r, 'acked', { value: pub.acked, enumerable: false });
    const blockMs = Number.isNaN(lag) ? NaN : Math.max(0, lag - LAG_SAMPLING_MS);
    Object.assign(r.details, {
      sent: pub.sent,
      acked: pub.acked.size,
      statuses: pub.statuses,
      slowestStoredTriggerMs: pub.maxMs,
      ready,
      ...Object.fromEntries(Object.entries(worst).map(([k, v]) => [`slowest${k[0].toUpperCase()}${k.slice(1)}`, v])),
      liveSent,
      liveReceived: live.events('volatile').length,
      socketsRefused,
      eventLoopBlockMs: blockMs,
      missing: missing.slice(0, 20),
    });
    live.close();
    r.checks = {
      failedClearly: pub.unclear.length === 0 && (pub.statuses[503] ?? 0) > 0,
      storedTriggersAnsweredInTime: pub.maxMs <= BOUNDS.storedTriggerMs,
      readyDegraded: ready.includes(503),
      readyAnsweredInTime: worst.readyMs <= BOUNDS.readyMs && !ready.includes(0),
      liveTrafficFlowed: live.events('volatile').length === liveSent && worst.plainTriggerMs <= BOUNDS.plainTriggerMs,
      newSocketsSubscribedInTime: socketsRefused === 0 && worst.socketMs <= BOUNDS.socketMs,
      recovered: pub.acked.size > before,
      noAckedEventLost: missing.length === 0,
    };
    // A lock wait belongs on the writer thread; elsewhere the block is reported (a shared CPU adds noise).
    if (o.checkBlock) r.checks.eventLoopNotBlocked = blockMs <= BOUNDS.blockMs;
    if (pub.unclear.length) r.details.unclear = pub.unclear;
  } catch (err) {
    r.checks.ran = false;
    r.details.error = err.stack ?? String(err);
  } finally {
    await pub.stop();
    r.checks.noCrashNoUnexpectedError = s.problems().length === 0;
    if (s.problems().length) r.details.problems = s.problems().slice(0, 10);
    await s.stop('SIGTERM');
  }
  return r;
}

async function sqliteReadonly() {
  const db = join(dir, `ro-${randomBytes(3).toString('hex')}.db`);
  const r = await outagePhase('sqlite-readonly', { PUSHI_DB: db }, async () => {
    for (const f of [db, `${db}-wal`]) {
      execFileSync('chattr', ['+i', f]);
      immutable.add(f);
    }
    return async () => unlock();
  });
  // and after a restart on the same file, still all there
  return withRestartCheck(r, { PUSHI_DB: db });
}

async function withRestartCheck(r, env) {
  if (!r.checks.noAckedEventLost) return r;
  const s = await startLiveServer({ env: { PUSHI_APPS_FILE: appsFile, ...env }, expectedErrors: EXPECTED });
  try {
    const missing = await missingAcked(s, APP, 'burst', r.acked);
    r.checks.allAckedAfterRestart = missing.length === 0;
  } finally {
    await s.stop('SIGTERM');
  }
  return r;
}

async function sqliteLocked() {
  const db = join(dir, `lock-${randomBytes(3).toString('hex')}.db`);
  return outagePhase(
    'sqlite-locked',
    { PUSHI_DB: db },
    async () => {
      const other = new Database(db);
      other.pragma('busy_timeout = 10000');
      other.exec('BEGIN EXCLUSIVE'); // a backup tool or a second process holding the write lock
      return async () => {
        other.exec('COMMIT');
        other.close();
      };
    },
    { checkBlock: true },
  );
}

/**
 * PostgreSQL with its backends terminated (no proxy), or behind a proxy that refuses ('down') or
 * black-holes ('hold').
 */
async function pgPhase(name, proxyMode) {
  const useProxy = Boolean(proxyMode);
  const target = await postgresForTests();
  if (!target.available) return { phase: name, skipped: target.reason };
  const appName = `pushi-faults-${randomBytes(4).toString('hex')}`;
  const u = new URL(target.url);
  u.searchParams.set('application_name', appName);
  const proxy = useProxy ? new TcpProxy(u.hostname, Number(u.port || 5432)) : undefined;
  if (proxy) {
    await proxy.up();
    u.hostname = '127.0.0.1';
    u.port = String(proxy.port);
  }
  const admin = new pg.Client({ connectionString: target.url });
  admin.on('error', () => undefined);
  await admin.connect();
  let stop = false;
  try {
    return await outagePhase(name, { DATABASE_URL: u.toString(), DATABASE_SCHEMA: target.schema }, async () => {
      if (proxy && proxyMode === 'hold') {
        proxy.hold(); // connections stay open, nothing comes back: a dead path, not a refusing server
        return async () => proxy.release();
      }
      if (proxy) {
        await proxy.down();
        return () => proxy.up();
      }
      let killed = 0;
      const killer = (async () => {
        while (!stop) {
          const res = await admin
            .query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1', [appName])
            .catch(() => undefined);
          killed += res?.rowCount ?? 0;
          await sleep(200);
        }
      })();
      return async () => {
        stop = true;
        await killer;
        log(`    (${killed} backends terminated)`);
      };
    });
  } finally {
    stop = true;
    await admin.end();
    proxy?.release();
    await proxy?.down();
    await target.dropSchema();
  }
}

async function sigkill(store) {
  const name = `sigkill-${store}`;
  let env = { PUSHI_DB: join(dir, `kill-${randomBytes(3).toString('hex')}.db`) };
  let drop;
  if (store === 'pg') {
    const target = await postgresForTests();
    if (!target.available) return { phase: name, skipped: target.reason };
    env = { DATABASE_URL: target.url, DATABASE_SCHEMA: target.schema };
    drop = target.dropSchema;
  }
  const r = { phase: name, checks: {}, details: { rounds: [] } };
  try {
    const rounds = [];
    for (let i = 0; i < KILLS; i++) {
      const s = await startLiveServer({ env: { PUSHI_APPS_FILE: appsFile, ...env }, expectedErrors: EXPECTED });
      const pub = new Publisher(() => s, APP, `kill-${i}`, 30, 0);
      const killAfter = 100 + 100 * i;
      pub.start();
      while (pub.acked.size < killAfter && s.alive()) await sleep(5);
      const exit = await s.stop('SIGKILL');
      await pub.stop();
      rounds.push({ channel: `kill-${i}`, acked: pub.acked, sent: pub.sent, signal: exit.signal });
    }
    const s = await startLiveServer({ env: { PUSHI_APPS_FILE: appsFile, ...env }, expectedErrors: EXPECTED });
    let lost = 0;
    for (const round of rounds) {
      const missing = await missingAcked(s, APP, round.channel, round.acked);
      lost += missing.length;
      r.details.rounds.push({
        acked: round.acked.size,
        notAcknowledged: round.sent - round.acked.size,
        killedBy: round.signal,
        missing: missing.slice(0, 10),
      });
    }
    r.checks.noAckedEventLost = lost === 0;
    r.checks.restartClean = s.problems().length === 0;
    await s.stop('SIGTERM');
  } finally {
    await drop?.();
  }
  return r;
}

const ctx = { dir, appsFile, APP, EXPECTED, OUTAGE_MS };
const run = {
  'sqlite-readonly': sqliteReadonly,
  'sqlite-locked': sqliteLocked,
  'pg-terminate': () => pgPhase('pg-terminate', undefined),
  'pg-down': () => pgPhase('pg-down', 'down'),
  'pg-blackhole': () => pgPhase('pg-blackhole', 'hold'),
  'redis-cut': () => redisPhase(ctx, 'redis-cut', 'down'),
  'redis-blackhole': () => redisPhase(ctx, 'redis-blackhole', 'hold'),
  'slow-consumer': () => slowConsumerPhase(ctx),
  'sigkill-sqlite': () => sigkill('sqlite'),
  'sigkill-pg': () => sigkill('pg'),
};

const results = [];
for (const phase of only) {
  log(`\n== ${phase}`);
  let r;
  try {
    r = await run[phase]();
  } catch (err) {
    r = { phase, checks: { ran: false }, details: { error: err.stack ?? String(err) } };
  }
  results.push(r);
  if (r.skipped) log(`  skipped: ${r.skipped}`);
  for (const w of r.warnings ?? []) log(`  WARN ${w}`);
  for (const [k, ok] of Object.entries(r.checks ?? {})) log(`  ${ok ? 'ok  ' : 'FAIL'} ${k}`);
  log(`  ${JSON.stringify(r.details ?? {})}`);
}
const failed = results.some((r) => Object.values(r.checks ?? {}).some((ok) => !ok));
if (v.json) console.log(JSON.stringify(results, null, 2));
log(failed ? '\nFAULTS FAILED' : '\nall fault phases passed');
process.exit(failed ? 1 : 0);
