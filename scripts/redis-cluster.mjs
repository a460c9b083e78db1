#!/usr/bin/env node
// A local Redis Cluster of N masters (no replicas) for tests and benchmarks: redis-server processes
// on free ports (each with its cluster bus on port + 10000), their nodes.conf and logs in a temp
// directory, joined with `redis-cli --cluster create`, ready once every master says cluster_state:ok.
//   import { startRedisCluster } from '../scripts/redis-cluster.mjs'   (types: redis-cluster.d.mts)
//   node scripts/redis-cluster.mjs [--masters 3]   prints the seeds URL, runs until SIGINT/SIGTERM
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort, freePortWith } from '../bench/lib/ports.mjs';

const HOST = '127.0.0.1';
const BUS_OFFSET = 10000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Why a cluster cannot be started here (redis-server or redis-cli not on PATH), or undefined. */
export function redisClusterMissing(env = process.env) {
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const found = (cmd) =>
    dirs.some((d) => {
      try {
        fs.accessSync(path.join(d, cmd), fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  const missing = ['redis-server', 'redis-cli'].filter((cmd) => !found(cmd));
  return missing.length
    ? `${missing.join(' and ')} not found on PATH (Redis 7 is needed for a local cluster)`
    : undefined;
}

/** One command on one node over a short-lived connection (no retries: the caller polls). */
async function ask(port, ...args) {
  const r = new Redis({
    host: HOST,
    port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await r.call(...args);
  } finally {
    r.disconnect();
  }
}

/** Starts server `m` (port, dir, cluster) and resolves once it answers PING; EADDRINUSE when its port was taken. */
async function launch(m, timeoutMs) {
  const logFile = path.join(m.dir, 'redis.log');
  const log = fs.openSync(logFile, 'a');
  // nodes.conf in the master's own dir keeps its node id and slots across restartMaster().
  const args = ['--port', String(m.port), '--bind', HOST, '--dir', m.dir, '--protected-mode', 'no'];
  if (m.cluster)
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '3000');
  args.push('--save', '', '--appendonly', 'no');
  const child = spawn('redis-server', args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  m.child = child;
  m.exited = new Promise((r) => child.once('exit', r));
  let gone = false;
  child.once('exit', () => (gone = true));
  child.once('error', () => (gone = true));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) {
      const text = fs.readFileSync(logFile, 'utf8');
      const err = new Error(
        `redis-server on port ${m.port} exited at start:\n${text.split('\n').slice(-5).join('\n')}`,
      );
      if (/Address already in use/.test(text)) err.code = 'EADDRINUSE';
      throw err;
    }
    try {
      if ((await ask(m.port, 'PING')) === 'PONG') return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${m.port} not answering after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** SIGTERM, then SIGKILL if it has not exited within 5 s. */
async function halt(m) {
  const c = m.child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await m.exited;
  clearTimeout(t);
}

/** What is not ok about one master's view of the cluster, or '' when all is well. */
async function problem(m, count) {
  try {
    const info = String(await ask(m.port, 'CLUSTER', 'INFO'));
    const field = (k) => new RegExp(`^${k}:(\\S+)`, 'm').exec(info)?.[1];
    if (field('cluster_state') !== 'ok') return `cluster_state:${field('cluster_state')}`;
    if (field('cluster_slots_ok') !== '16384') return `cluster_slots_ok:${field('cluster_slots_ok')}`;
    if (Number(field('cluster_known_nodes')) !== count) return `cluster_known_nodes:${field('cluster_known_nodes')}`;
    // Every peer reachable over the bus and none flagged failing: a restarted master is back for all.
    // CLUSTER NODES: <id> <addr> <flags> <master> <ping> <pong> <epoch> <link-state> <slots…>
    const nodes = String(await ask(m.port, 'CLUSTER', 'NODES'))
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    const failing = (f) => f[7] !== 'connected' || f[2].split(',').some((x) => x === 'fail' || x === 'fail?');
    const bad = nodes.find(failing);
    return bad ? `peer ${bad[1]} ${bad[2]} ${bad[7]}` : '';
  } catch (err) {
    return `not answering (${err.message})`;
  }
}

async function waitOk(masters, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(masters.map((m) => problem(m, masters.length)));
    if (seen.every((p) => p === '')) return;
    if (Date.now() > deadline) {
      const lines = masters.map((m, i) => `  ${HOST}:${m.port} ${seen[i] || 'ok'}`).join('\n');
      throw new Error(`Redis Cluster not ok after ${timeoutMs} ms:\n${lines}`);
    }
    await sleep(100);
  }
}

/**
 * redis-server processes under one temp directory: `add` starts one on a free port (others when a
 * port was taken between the check and redis-server's bind), `stop` ends all and removes the dir.
 */
function serverGroup(prefix, timeoutMs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const servers = [];
  // A crashed or interrupted caller must not leave redis-servers behind.
  const killAll = () => {
    for (const m of servers) if (m.child?.exitCode === null) m.child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', killAll);
  let stopped = false;
  return {
    dir,
    servers,
    async add(cluster) {
      const m = { dir: path.join(dir, String(servers.length)), port: 0, cluster };
      fs.mkdirSync(m.dir);
      servers.push(m); // before it starts, so that stop() ends it whatever happens next
      for (let attempt = 1; ; attempt++) {
        m.port = await (cluster ? freePortWith(BUS_OFFSET) : freePort());
        try {
          return await launch(m, timeoutMs);
        } catch (err) {
          if (err.code !== 'EADDRINUSE' || attempt >= 5) throw err;
        }
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all(servers.map(halt));
      process.off('exit', killAll);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One standalone redis-server without persistence (a benchmark's own Redis, whose INFO counts only it). */
export async function startRedisServer({ timeoutMs = 30_000 } = {}) {
  const missing = redisClusterMissing();
  if (missing) throw new Error(`cannot start redis-server: ${missing}`);
  const group = serverGroup('pushi-redis-', timeoutMs);
  try {
    await group.add(false);
  } catch (err) {
    await group.stop();
    throw err;
  }
  const { port, child } = group.servers[0];
  return { host: HOST, port, url: `redis://${HOST}:${port}`, pid: child.pid, stop: group.stop };
}

/**
 * Starts `masters` (at least 3) redis-server processes as one cluster and waits until every master
 * reports cluster_state:ok, for at most `timeoutMs` per step. Throws when redis-server is missing.
 */
export async function startRedisCluster({ masters: count = 3, timeoutMs = 30_000 } = {}) {
  if (count < 3) throw new Error(`a Redis Cluster needs at least 3 masters (asked for ${count})`);
  const missing = redisClusterMissing();
  if (missing) throw new Error(`cannot start a Redis Cluster: ${missing}`);
  const group = serverGroup('pushi-redis-cluster-', timeoutMs);
  const { dir, servers: masters, stop } = group;
  try {
    for (let i = 0; i < count; i++) await group.add(true);
    const addrs = masters.map((m) => `${HOST}:${m.port}`);
    try {
      const create = ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'];
      await promisify(execFile)('redis-cli', create, { timeout: timeoutMs });
    } catch (err) {
      const output = `${err.stdout ?? ''}${err.stderr ?? ''}`;
      throw new Error(`redis-cli --cluster create failed: ${err.message}\n${output}`, { cause: err });
    }
    await waitOk(masters, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  const seeds = masters.map((m) => ({ host: HOST, port: m.port }));
  return {
    seeds,
    url: seeds.map((s) => `redis://${s.host}:${s.port}`).join(','),
    dir,
    pids: () => masters.map((m) => m.child.pid),
    async restartMaster(i) {
      const m = masters[i];
      if (!m) throw new Error(`no master ${i} (the cluster has ${masters.length})`);
      await halt(m);
      // Same port and nodes.conf: the node rejoins as itself. The kernel may hold the port briefly.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await launch(m, timeoutMs);
          break;
        } catch (err) {
          if (err.code !== 'EADDRINUSE' || Date.now() > deadline) throw err;
          await sleep(200);
        }
      }
      await waitOk(masters, timeoutMs);
    },
    stop,
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = { masters: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } };
  const { values } = parseArgs({ options });
  if (values.help) {
    process.stdout.write(
      `${fs
        .readFileSync(fileURLToPath(import.meta.url), 'utf8')
        .split('\n')
        .slice(1, 6)
        .join('\n')}\n`,
    );
    process.exit(0);
  }
  const cluster = await startRedisCluster({ masters: Number(values.masters) });
  process.stdout.write(`${cluster.url}\n`);
  const done = () => cluster.stop().then(() => process.exit(0));
  process.once('SIGINT', done);
  process.once('SIGTERM', done);
}
