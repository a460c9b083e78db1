#!/usr/bin/env node
// `npm run bench`: Pushi beside the plain Node + ws reference server (bench/harness, vendored from
// the shared bench) in one run. Builds dist/ when stale, starts a fresh server per measurement,
// runs the connect / fanout / channels / client-events / persist scenarios, prints tables and
// writes everything to .bench-results/bench-<time>.json. `npm run bench -- --help` for the flags.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freePort } from './lib/ports.mjs';
import { removeDatabase } from './lib/fresh-store.mjs';
import { runPersist } from './lib/persist.mjs';
import { runRecoveryMemory } from './lib/recovery-memory.mjs';
import { runRecoveryReconnect } from './lib/recovery-reconnect.mjs';
import { runHundredK } from './lib/hundred-k.mjs';
import { startNodeFlags } from './lib/start-flags.mjs';
import { describeWait, ephemeralRange, waitTimeWait } from './lib/time-wait.mjs';
import { report } from './lib/report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const harness = path.join(root, 'bench', 'harness', 'bench.mjs');

const HELP = `npm run bench -- [flags]
  --scenarios LIST       connect,fanout,channels,client-events,persist,coalesce,paired and the recovery-* ones below
                         (default: all but coalesce, paired and recovery-*). paired: channels and client-events
                         with both servers measured at the same time, each under its own load generator, --repeat rounds; ratios per round (see docs/performance.md)
  --repeat K             measurements per server and size, medians reported (default 2)
  --connect LIST         connect sizes (default 1000,10000,18000; keep <= 18000: file limit)
  --time-wait-max S      connect scenario: before each measurement, wait up to S s (default 75; 0: no wait) until
                         the earlier runs' client sockets in TIME_WAIT (60 s each) and other programs' open
                         sockets hold at most --time-wait-allow ephemeral ports; prints what it waited for
  --time-wait-allow N    ... until at most N remain (default 5% of the ephemeral range, 1411 here)
  --settle-ms MS         connect scenario: wait before sampling RSS once all are subscribed (default 1500, the
                         harness's). V8's memory reducer shrinks the heap ~25-30 s after a burst: 40000 measures
                         the settled server, the default the one still carrying the burst's garbage
  --fanout LIST          subscribers x messages (default 1000x200,5000x50)
  --payloads LIST        payload bytes for fanout (default 100,2048)
  --channels-conns N     channels scenario: connections, one channel each (default 5000)
  --channels-rate R      one event per HTTP request, R/s (default 2000)
  --client-conns N       client-events scenario: connections in private pairs (default 2000)
  --client-rate R        client events/s in total (default 5000)
  --duration S           seconds for channels and client-events (default 10)
  --persist-events N     persist scenario: events triggered with persist:true (default 20000)
  --persist-concurrency C  HTTP requests in flight (default 64)
  --persist-fanout NxM   persist scenario: fanout with persistence on vs off (default 1000x200)
  recovery-cost          fan-out (the first --fanout size, --payloads) with positions and recovery on (default app
                         options) beside off (recoveryWindowSeconds: 0): server CPU per delivery, on ÷ off
  recovery-memory        channels filled with events at the default recovery options, no subscribers: live memory
                         (after a full GC) and RSS before and after, events still kept (asked with recover)
  --recovery-memory LIST channels x events per channel (default 1000x500)
  --recovery-payloads L  payload bytes for recovery-memory (default 100,2048)
  recovery-reconnect     clients come back with recover after missing events, all at once, ÷ as many fresh clients
  --reconnect-clients N  (default 1000)
  --reconnect-channels C clients spread over C channels (default 100)
  --reconnect-missed K   events per channel published while they were away (default 20)
  --reconnect-rounds R   recover rounds per server, each between two fresh connects (default 5)
  recovery               all three recovery scenarios
  cluster                4 nodes on Redis, each node's subscribers on its own channels: inbound bus traffic per node
                         ÷ publish rate (bench/cluster.mjs --scenario interest, --duration; not in the default set)
  hundred-k              \`pushi serve --workers W\` with Redis (PUSHI_REDIS_URL, default redis://127.0.0.1:6379; a fresh
                         key prefix): N WebSockets from client processes on 127.0.x.y each subscribe to one channel,
                         then events over HTTP must reach every socket; time to all subscribed, deliveries/s,
                         latency, RSS of the primary and workers summed. Checks its preconditions first. Not in the
                         default set (~3 min at 100,000)
  --hk-conns N           connections (default 100000)
  --hk-workers W         server workers (default 6)
  --hk-channels K        channels, sockets spread round-robin; each event goes to all of them (default 1)
  --hk-events E          events (default 30; 0: connect only)
  --hk-rate R            events/s (default 1; 0: each trigger once the previous one answered)
  --hk-size B            payload bytes (default 100)
  --hk-procs P           client processes, at least N / 16000 (default 8)
  --hk-concurrency C     handshakes in flight in all (default 400)
  --hk-dist DIR          run the Pushi build in DIR (a dist/ with cli.js) instead of this checkout's dist/
  --no-ref               skip the reference server (Pushi only)
  --baseline DIR         A/B while optimising: a Pushi build in DIR (a copy of an earlier dist/) runs in the
                         reference's place, same flags, as target "baseline"; compare the two rows per scenario
  --no-build             use dist/ as it is
  --cpu-prof             run the servers under node --cpu-prof (.bench-results/prof-<time>/<server>/;
                         summarise with node bench/lib/prof-top.mjs FILE [N] [--incl fn,fn])
  --node-args="FLAGS"    extra node flags for Pushi's server, after the ones \`npm start\` passes (those always
                         apply; a later flag wins: --node-args="--max-semi-space-size=16" measures V8's default)
  --ref-node-args="FLAGS"  the same for the reference server (e.g. both with "--trace-gc --trace-gc-nvp")
  --keep                 keep the temporary directory (server logs, databases) and print its path
  --local-addrs LIST     bind client sockets to these source addresses (default: none, the kernel picks)
  --quick                small sizes, one repeat: a smoke run of every scenario (~2 minutes)
  --out FILE             JSON output (default .bench-results/bench-<time>.json)`;

const { values: a } = parseArgs({
  options: {
    scenarios: { type: 'string', default: 'connect,fanout,channels,client-events,persist' },
    repeat: { type: 'string', default: '2' },
    connect: { type: 'string', default: '1000,10000,18000' },
    'settle-ms': { type: 'string', default: '1500' },
    'time-wait-max': { type: 'string', default: '75' },
    'time-wait-allow': { type: 'string', default: '' },
    fanout: { type: 'string', default: '1000x200,5000x50' },
    payloads: { type: 'string', default: '100,2048' },
    'channels-conns': { type: 'string', default: '5000' },
    'channels-rate': { type: 'string', default: '2000' },
    'client-conns': { type: 'string', default: '2000' },
    'client-rate': { type: 'string', default: '5000' },
    duration: { type: 'string', default: '10' },
    'persist-events': { type: 'string', default: '20000' },
    'persist-concurrency': { type: 'string', default: '64' },
    'persist-fanout': { type: 'string', default: '1000x200' },
    'recovery-memory': { type: 'string', default: '1000x500' },
    'recovery-payloads': { type: 'string', default: '100,2048' },
    'reconnect-clients': { type: 'string', default: '1000' },
    'reconnect-channels': { type: 'string', default: '100' },
    'reconnect-missed': { type: 'string', default: '20' },
    'reconnect-rounds': { type: 'string', default: '5' },
    'hk-conns': { type: 'string', default: '100000' },
    'hk-workers': { type: 'string', default: '6' },
    'hk-channels': { type: 'string', default: '1' },
    'hk-events': { type: 'string', default: '30' },
    'hk-rate': { type: 'string', default: '1' },
    'hk-size': { type: 'string', default: '100' },
    'hk-procs': { type: 'string', default: '8' },
    'hk-concurrency': { type: 'string', default: '400' },
    'hk-dist': { type: 'string', default: '' },
    'no-ref': { type: 'boolean', default: false },
    baseline: { type: 'string', default: '' },
    'no-build': { type: 'boolean', default: false },
    'cpu-prof': { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'ref-node-args': { type: 'string', default: '' },
    keep: { type: 'boolean', default: false },
    // No source addresses by default: a socket bound before connect() holds its port exclusively
    // (also through TIME_WAIT), so measurements after the first stalled on source-port searches;
    // unbound, the kernel reuses ports across servers (each measurement has a fresh server port).
    'local-addrs': { type: 'string', default: '' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: '' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}
if (a.quick) {
  Object.assign(a, {
    repeat: '1',
    connect: '1000',
    fanout: '500x50',
    payloads: '100',
    'channels-conns': '500',
    'channels-rate': '500',
    'client-conns': '500',
    'client-rate': '1000',
    duration: '3',
    'persist-events': '3000',
    'persist-fanout': '500x50',
    'recovery-memory': '200x500',
    'recovery-payloads': '100',
    'reconnect-clients': '300',
    'reconnect-channels': '30',
    'reconnect-rounds': '2',
  });
}
const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const sizes = (s) => list(s).map((x) => x.split('x').map(Number));
const RECOVERY = ['recovery-cost', 'recovery-memory', 'recovery-reconnect'];
const scenarios = new Set(list(a.scenarios).flatMap((s) => (s === 'recovery' ? RECOVERY : s)));
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = path.join(root, '.bench-results');
fs.mkdirSync(outDir, { recursive: true });
const outFile = a.out || path.join(outDir, `bench-${stamp}.json`);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pushi-bench-'));
const profDir = a['cpu-prof'] ? path.join(outDir, `prof-${stamp}`) : null;

// ---------- build ----------
function newestMtime(dir) {
  let t = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return t;
}
const cli = path.join(root, 'dist', 'cli.js');
const startFlags = startNodeFlags(root);
const freshStore = path.join(root, 'bench', 'lib', 'fresh-store.mjs');
if (!a['no-build'] && (!fs.existsSync(cli) || newestMtime(path.join(root, 'src')) > fs.statSync(cli).mtimeMs)) {
  console.error('bench: dist/ is older than src/: npm run build');
  execFileSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  fs.utimesSync(cli, new Date(), new Date()); // tsc leaves unchanged outputs alone
}

// ---------- targets ----------
const creds = { id: 'app-id', key: 'app-key', secret: 'app-secret' };
// Limits a benchmark must lift (the reference has none): API rate limit, client-event rate per socket.
function appsFile(name, persist, appOptions) {
  const file = path.join(tmp, `${name}-apps.json`);
  const limits = { clientEvents: true, maxClientEventsPerSecond: 1000, maxApiRequestsPerSecond: 0 };
  const options = { ...limits, persist, ...appOptions };
  fs.writeFileSync(file, JSON.stringify({ apps: [{ ...creds, name: 'bench', options }] }));
  return file;
}
async function pushiTarget(name, { persist = false, env = {}, entry = cli, appOptions = {} } = {}) {
  const port = await freePort();
  // `npm start`'s node flags first (a baseline build gets them too: A/B compares code), then --node-args.
  const nodeArgs = [
    ...startFlags,
    ...list(a['node-args']).flatMap((x) => x.split(/\s+/)),
    ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profDir, name)] : []),
  ];
  return {
    name,
    port,
    cwd: tmp,
    // Persistence targets start from an empty database every time (bench/lib/fresh-store.mjs).
    cmd: [process.execPath, ...nodeArgs, ...(persist ? [freshStore] : []), entry, 'serve'],
    log: path.join(tmp, `${name}.log`),
    env: {
      SERVER_PORT: String(port),
      APP_PORT: String(port),
      PUSHI_APP_ID: creds.id,
      PUSHI_APP_KEY: creds.key,
      PUSHI_APP_SECRET: creds.secret,
      PUSHI_APP_CLIENT_EVENTS: '1',
      PUSHI_APP_PERSIST: persist ? '1' : '0',
      PUSHI_APPS_FILE: appsFile(name, persist, appOptions),
      PUSHI_DB: path.join(tmp, `${name}.db`),
      LOG_LEVEL: 'warn',
      ...env,
    },
  };
}
async function refTarget() {
  if (a.baseline) return pushiTarget('baseline', { entry: path.resolve(a.baseline, 'cli.js') });
  const port = await freePort();
  const env = { PORT: String(port), APP_ID: creds.id, APP_KEY: creds.key, APP_SECRET: creds.secret };
  const nodeArgs = [
    ...list(a['ref-node-args']).flatMap((x) => x.split(/\s+/)),
    ...(profDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profDir, 'ref-ws')] : []),
  ];
  return {
    name: 'ref-ws',
    port,
    cmd: [process.execPath, ...nodeArgs, path.join(root, 'bench', 'harness', 'ref-ws-server.mjs')],
    env,
    log: path.join(tmp, 'ref-ws.log'),
  };
}

// ---------- harness runs ----------
const lines = [];
const commands = [];
function harnessRun(targets, args, repeat = a.repeat) {
  // Named after the targets: the paired scenario runs two harnesses at once, one target each.
  const names = targets.map((t) => t.name).join('-');
  const tfile = path.join(tmp, `targets-${names}.json`);
  fs.writeFileSync(tfile, JSON.stringify(targets));
  const jsonl = path.join(tmp, `run-${names}.jsonl`);
  fs.rmSync(jsonl, { force: true });
  const argv = [
    harness,
    '--targets',
    tfile,
    '--out',
    jsonl,
    '--repeat',
    String(repeat),
    '--local-addrs',
    a['local-addrs'],
    '--app-id',
    creds.id,
    '--key',
    creds.key,
    '--secret',
    creds.secret,
    ...args,
  ];
  commands.push(
    `node bench/harness/bench.mjs --targets <${targets.map((t) => t.name).join(',')}> --repeat ${repeat} ${args.join(' ')}`,
  );
  console.error(`\n+ ${commands.at(-1)}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: path.dirname(harness), stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', () => {
      const got = fs.existsSync(jsonl)
        ? fs
            .readFileSync(jsonl, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l))
        : [];
      lines.push(...got);
      resolve(got);
    });
  });
}

/** The reference server's target (none with --no-ref), on a port of its own each call. */
const refTargets = async () => (a['no-ref'] ? [] : [await refTarget()]);
const ref = await refTargets();
const pushi = await pushiTarget('pushi');
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpuModel: os.cpus()[0]?.model,
  memGB: Math.round(os.totalmem() / 2 ** 30),
  loadavgAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  pushiNodeFlags: startFlags,
  commit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    } catch {
      return null;
    }
  })(),
  argv: process.argv.slice(2),
};
const persistResults = [];
const hundredK = [];
const timeWaits = [];
// At most this many leftovers lengthen a connect's source-port search by about 5% at worst.
const [portLow, portHigh] = ephemeralRange();
const twAllow = a['time-wait-allow'] ? Number(a['time-wait-allow']) : Math.floor((portHigh - portLow + 1) * 0.05);
/** Before a connect measurement: lets the earlier runs' TIME_WAIT sockets clear, and says so. */
async function clearTimeWait(t, n) {
  if (Number(a['time-wait-max']) <= 0) return;
  const w = await waitTimeWait({ allow: twAllow, maxMs: Number(a['time-wait-max']) * 1000 });
  console.error(describeWait(w, `connect ${n} on ${t.name}`));
  timeWaits.push({ target: t.name, conns: n, ...w });
}
const recoveryResults = [];
const clusterResults = [];
const common = (n, extra) => ['--conns', String(n), ...extra];
/** A full-rate fan-out of m messages of p bytes to n subscribers, its rows tagged with label. */
const fullRateFanout = (n, m, p, label) =>
  common(n, ['--scenario', 'fanout', '--messages', String(m), '--payload', String(p), '--rate', '0', '--label', label]);
/** The rate-paced scenarios' harness arguments (channels, client-events), optionally labelled. */
const pacedArgs = (scenario, label) => {
  const [conns, rate] =
    scenario === 'channels' ? [a['channels-conns'], a['channels-rate']] : [a['client-conns'], a['client-rate']];
  return common(conns, [
    '--scenario',
    scenario,
    '--rate',
    rate,
    '--duration',
    a.duration,
    '--payload',
    '100',
    ...(label ? ['--label', label] : []),
  ]);
};

try {
  if (scenarios.has('connect')) {
    // One server per harness run (ref, pushi, ref, pushi, …), each on a port of its own, each
    // measured once the previous runs' client sockets have left TIME_WAIT (clearTimeWait).
    for (const n of list(a.connect).map(Number)) {
      for (let r = 0; r < Number(a.repeat); r++) {
        for (const t of [...(await refTargets()), await pushiTarget('pushi')]) {
          await clearTimeWait(t, n);
          await harnessRun(
            [t],
            common(n, ['--scenario', 'connect', '--connect-timeout', '180', '--settle-ms', a['settle-ms']]),
            1,
          );
        }
      }
    }
  }
  if (scenarios.has('fanout')) {
    for (const p of list(a.payloads)) {
      for (const [n, m] of sizes(a.fanout))
        await harnessRun(
          [...ref, pushi],
          common(n, ['--scenario', 'fanout', '--messages', String(m), '--payload', p, '--rate', '0']),
        );
    }
  }
  if (scenarios.has('channels')) {
    await harnessRun([...ref, pushi], pacedArgs('channels'));
  }
  if (scenarios.has('client-events')) {
    await harnessRun([...ref, pushi], pacedArgs('client-events'));
  }
  if (scenarios.has('coalesce')) {
    // Stretch goal: Pushi with per-turn write coalescing off, beside the default (on).
    const off = await pushiTarget('pushi-nocoalesce', { env: { PUSHI_WS_COALESCE: '0' } });
    for (const p of list(a.payloads)) {
      for (const [n, m] of sizes(a.fanout)) await harnessRun([...ref, off, pushi], fullRateFanout(n, m, p, 'coalesce'));
    }
    // One frame per socket per turn: what coalescing costs where there is nothing to coalesce.
    await harnessRun([...ref, off, pushi], pacedArgs('client-events', 'coalesce'));
  }
  if (scenarios.has('paired') && !a['no-ref']) {
    // Sequential runs drift with the host's load (±10-20% between runs minutes apart on a shared
    // VM). Here both servers run in the same seconds, each driven by its own harness, so drift hits
    // both alike; the report takes Pushi ÷ the other server per round, then the median of rounds.
    // With --baseline this is an A/B of two Pushi builds.
    for (const scenario of ['channels', 'client-events']) {
      for (let r = 0; r < Number(a.repeat); r++) {
        const args = pacedArgs(scenario, 'paired');
        const got = await Promise.all([
          harnessRun([await refTarget()], args, 1),
          harnessRun([await pushiTarget('pushi')], args, 1),
        ]);
        for (const run of got.flat()) run.round = r;
      }
    }
  }
  if (scenarios.has('persist')) {
    // Fan-out with persistence on vs off (ratios against the first target: Pushi, persistence off).
    const on = await pushiTarget('pushi-persist', { persist: true });
    for (const [n, m] of sizes(a['persist-fanout'])) {
      await harnessRun([pushi, on], fullRateFanout(n, m, '100', 'persistence'));
    }
    // Accepted persisted events/s over the HTTP API, each checked in the database afterwards.
    for (let r = 0; r < Number(a.repeat); r++) {
      const t = await pushiTarget('pushi-persist', { persist: true });
      removeDatabase(t.env.PUSHI_DB);
      commands.push(
        `(bench/lib/persist.mjs) ${a['persist-events']} triggers with persist:true, ${a['persist-concurrency']} in flight`,
      );
      const res = await runPersist(t, {
        creds,
        events: Number(a['persist-events']),
        concurrency: Number(a['persist-concurrency']),
      });
      res.rep = r;
      persistResults.push(res);
    }
  }
  if (scenarios.has('recovery-cost')) {
    // Ratios against the first target: Pushi with positions and recovery off for the app.
    const off = await pushiTarget('pushi-norecovery', { appOptions: { recoveryWindowSeconds: 0 } });
    const [n, m] = sizes(a.fanout)[0];
    for (const p of list(a.payloads)) await harnessRun([off, pushi], fullRateFanout(n, m, p, 'recovery'));
  }
  if (scenarios.has('recovery-memory')) {
    const maxBytes = Number(process.env.PUSHI_RECOVERY_MAX_BYTES || 64 * 2 ** 20);
    for (const payload of list(a['recovery-payloads']).map(Number))
      for (const [channels, events] of sizes(a['recovery-memory']))
        for (let r = 0; r < Number(a.repeat); r++) {
          commands.push(`(bench/lib/recovery-memory.mjs) ${channels} channels × ${events} events of ${payload} B`);
          const res = await runRecoveryMemory(await pushiTarget('pushi'), {
            creds,
            channels,
            events,
            payload,
            maxBytes,
          });
          recoveryResults.push({ ...res, rep: r });
        }
  }
  if (scenarios.has('recovery-reconnect')) {
    const opts = {
      creds,
      clients: Number(a['reconnect-clients']),
      channels: Number(a['reconnect-channels']),
      live: 5,
      missed: Number(a['reconnect-missed']),
      payload: 100,
      concurrency: 100, // handshakes in flight, as the harness's connect scenario
      procs: 2,
      rounds: Number(a['reconnect-rounds']),
    };
    const { clients, channels, missed } = opts;
    commands.push(`(bench/lib/recovery-reconnect.mjs) ${clients} clients on ${channels} channels, ${missed} missed`);
    for (let r = 0; r < Number(a.repeat); r++)
      recoveryResults.push(await runRecoveryReconnect(await pushiTarget('pushi'), { ...opts, rep: r }));
  }
  if (scenarios.has('cluster')) {
    // It starts its own nodes and Redis, prints its own table; its JSON joins this run's.
    const file = path.join(tmp, 'cluster-interest.json');
    const argv = ['--scenario', 'interest', '--duration', a.duration, '--out', file];
    commands.push(`node bench/cluster.mjs ${argv.slice(0, -2).join(' ')}`);
    const child = spawn(process.execPath, [path.join(root, 'bench', 'cluster.mjs'), ...argv], { stdio: 'inherit' });
    await new Promise((resolve) => child.on('exit', resolve));
    if (fs.existsSync(file)) clusterResults.push(JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  if (scenarios.has('hundred-k')) {
    const workers = Number(a['hk-workers']);
    const redisUrl = process.env.PUSHI_REDIS_URL || 'redis://127.0.0.1:6379';
    const redisPrefix = `pushi-bench-hk-${stamp}:`;
    const t = await pushiTarget('pushi-workers', {
      entry: a['hk-dist'] ? path.resolve(a['hk-dist'], 'cli.js') : cli,
      // info: the primary's "pushi started" line says every worker is up
      env: {
        PUSHI_REDIS_URL: redisUrl,
        PUSHI_REDIS_PREFIX: redisPrefix,
        PUSHI_SHUTDOWN_GRACE_MS: '0',
        LOG_LEVEL: 'info',
      },
    });
    t.cmd.push('--workers', String(workers));
    const num = (k) => Number(a[`hk-${k}`]);
    commands.push(`(bench/lib/hundred-k.mjs) ${a['hk-conns']} connections, ${workers} workers, Redis ${redisPrefix}`);
    hundredK.push(
      await runHundredK(t, {
        creds,
        redisUrl,
        redisPrefix,
        workers,
        conns: num('conns'),
        channels: num('channels'),
        events: num('events'),
        rate: num('rate'),
        size: num('size'),
        procs: num('procs'),
        concurrency: num('concurrency'),
        sampleEvery: 10, // sockets that read the send time out of the payload: every 10th
        settleMs: Number(a['settle-ms']),
        connectTimeoutS: 300,
      }),
    );
  }
} finally {
  const result = {
    meta,
    commands,
    runs: lines.filter((l) => l.type !== 'ratio'),
    ratios: lines.filter((l) => l.type === 'ratio'),
    persist: persistResults,
    recovery: recoveryResults,
    cluster: clusterResults,
    timeWaits,
    hundredK,
  };
  result.summary = report(result);
  fs.writeFileSync(outFile, JSON.stringify(result, null, 1));
  console.log(
    `\nresults: ${path.relative(process.cwd(), outFile)}${profDir ? `\nprofiles: ${path.relative(process.cwd(), profDir)}` : ''}`,
  );
  if (a.keep) console.log(`kept: ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
