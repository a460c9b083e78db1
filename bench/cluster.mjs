#!/usr/bin/env node
// Benchmarks (not tests) of Pushi nodes coordinating through Redis. Two scenarios:
// --scenario workers (default): fan-out deliveries/s of `pushi serve --workers N` for N = 1, 2, 4,
// driving the vendored load harness (bench/harness/bench.mjs, scenario "fanout": N subscribers on
// one channel, M messages over the HTTP API) with one target per worker count. Needs Redis
// (PUSHI_REDIS_URL, default redis://127.0.0.1:6379).
//   node bench/cluster.mjs [--workers 1,2,4] [--conns 2000] [--messages 200] [--payload 100]
//                          [--repeat 1] [--procs 2] [--out file.jsonl]
// On a 2-core machine the load generator shares the CPU with the workers: read the numbers as
// what this machine does, not as a scaling law (more workers than cores mostly adds Redis hops).
// --scenario interest: does each node receive only the traffic of the channels it serves? (see
// bench/lib/cluster-interest.mjs) Nodes on a private redis-server (--redis URL: that one instead),
// or with --redis-cluster on a local 3-master Redis Cluster. Results in .bench-results/ (or --out).
//   node bench/cluster.mjs --scenario interest [--nodes 4] [--channels 400] [--subs 5] [--rate 400]
//                          [--duration 10] [--payload 100] [--redis URL | --redis-cluster] [--out f.json]
//                          [--recovery SECONDS: the app's recovery window, 0 = off]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runInterest } from './lib/cluster-interest.mjs';
import { freePort } from './lib/ports.mjs';
import { deliveredExactly, reportInterest } from './lib/report-interest.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const harness = path.join(root, 'bench', 'harness', 'bench.mjs');
const { values: a } = parseArgs({
  options: {
    workers: { type: 'string', default: '1,2,4' },
    conns: { type: 'string', default: '2000' },
    messages: { type: 'string', default: '200' },
    payload: { type: 'string', default: '100' },
    repeat: { type: 'string', default: '1' },
    scenario: { type: 'string', default: 'workers' },
    nodes: { type: 'string', default: '4' },
    channels: { type: 'string', default: '400' },
    subs: { type: 'string', default: '5' },
    rate: { type: 'string', default: '400' },
    duration: { type: 'string', default: '10' },
    redis: { type: 'string', default: '' },
    'redis-cluster': { type: 'boolean', default: false },
    recovery: { type: 'string', default: '' },
    procs: { type: 'string', default: '2' },
    out: { type: 'string', default: '' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  process.stdout.write(
    fs
      .readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(1, 16)
      .join('\n') + '\n',
  );
  process.exit(0);
}
if (a.scenario === 'interest') process.exit(await interest());
if (a.scenario !== 'workers') {
  process.stderr.write(`bench/cluster: unknown scenario ${a.scenario} (workers, interest)\n`);
  process.exit(2);
}

const redisUrl = process.env.PUSHI_REDIS_URL || 'redis://127.0.0.1:6379';
const redis = new URL(redisUrl);
await new Promise((resolve) => {
  const s = net.connect(Number(redis.port || 6379), redis.hostname, () => (s.destroy(), resolve()));
  s.on('error', (err) => {
    process.stderr.write(`bench/cluster: Redis not reachable at ${redisUrl} (${err.message}); set PUSHI_REDIS_URL\n`);
    process.exit(1);
  });
});

const counts = a.workers
  .split(',')
  .map(Number)
  .filter((n) => n >= 1);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pushi-bench-cluster-'));
const run = `${Date.now().toString(36)}`;
const targets = [];
for (const n of counts) {
  const port = await freePort();
  targets.push({
    name: `workers-${n}`,
    host: '127.0.0.1',
    port,
    cwd: root,
    // One node with the Redis adapter for N = 1, so every row pays the same bus.
    cmd: [process.execPath, '--import', 'tsx', 'src/cli.ts', 'serve', '--workers', String(n)],
    env: {
      SERVER_PORT: String(port),
      APP_PORT: String(port),
      PUSHI_APP_ID: 'app-id',
      PUSHI_APP_KEY: 'app-key',
      PUSHI_APP_SECRET: 'app-secret',
      PUSHI_DB: path.join(tmp, `pushi-${n}.db`),
      PUSHI_REDIS_URL: redisUrl,
      PUSHI_REDIS_PREFIX: `pushi-bench-${run}-${n}:`,
      PUSHI_SHUTDOWN_GRACE_MS: '0',
      LOG_LEVEL: 'warn',
    },
    // The port opens with the first worker; give the others time to join before measuring.
    warmMs: 2000 + 2000 * n,
    log: path.join(tmp, `server-${n}.log`),
  });
}
const targetsFile = path.join(tmp, 'targets.json');
fs.writeFileSync(targetsFile, JSON.stringify(targets));
const out = a.out || path.join(tmp, 'results.jsonl');

const args = [harness, '--scenario', 'fanout', '--targets', targetsFile, '--conns', a.conns, '--messages', a.messages];
args.push('--payload', a.payload, '--repeat', a.repeat, '--procs', a.procs, '--out', out);
process.stderr.write(
  `bench/cluster: fanout ${a.conns} subscribers x ${a.messages} messages, ${a.payload} B, workers ${counts.join(', ')} (${os.availableParallelism()} cores)\n`,
);
const code = await new Promise((resolve) => {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  child.on('exit', (c) => resolve(c ?? 1));
});

const rows = fs
  .readFileSync(out, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .filter((r) => r.type !== 'ratio' && r.deliver);
const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((p, q) => p - q);
  return s.length ? s[Math.floor(s.length / 2)] : null;
};
process.stdout.write('\n| workers | deliveries/s | lost | latency p50 ms | p99 ms |\n|---|---|---|---|---|\n');
for (const t of targets) {
  const mine = rows.filter((r) => r.target === t.name || r.label === t.name || r.name === t.name);
  const d = mine.map((r) => r.deliver);
  process.stdout.write(
    `| ${t.name.slice('workers-'.length)} | ${median(d.map((x) => x.deliveriesPerSec)) ?? 'n/a'} | ${median(d.map((x) => x.lost)) ?? 'n/a'} | ` +
      `${median(d.map((x) => x.latencyMs?.p50)) ?? 'n/a'} | ${median(d.map((x) => x.latencyMs?.p99)) ?? 'n/a'} |\n`,
  );
}
process.stdout.write(`\nraw results: ${out}\n`);
if (!a.out) process.stdout.write(`(temporary files in ${tmp})\n`);
process.exit(code);

/** The interest scenario: prints its table, writes its JSON; exit status 1 unless delivered exactly once. */
async function interest() {
  const o = { root, redisCluster: a['redis-cluster'], redisUrl: a.redis, payload: Number(a.payload) };
  // --recovery S: the app's recoveryWindowSeconds (0: no streams, events are plain publishes).
  if (a.recovery !== '') o.recoveryWindowSeconds = Number(a.recovery);
  for (const k of ['nodes', 'channels', 'subs', 'rate', 'duration']) o[k] = Number(a[k]);
  if (o.channels % o.nodes) throw new Error('--channels must be a multiple of --nodes');
  process.stderr.write(`bench/cluster: interest on ${os.availableParallelism()} cores, starting…\n`);
  const result = await runInterest(o);
  process.stdout.write(`\n${reportInterest(result).join('\n')}\n`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const file = a.out || path.join(root, '.bench-results', `cluster-interest-${stamp}.json`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(result, null, 1));
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  return deliveredExactly(result) ? 0 : 1;
}
