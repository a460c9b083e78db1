// `node bench/cluster.mjs --scenario interest`: does a node receive only the traffic of channels it
// serves? `nodes` Pushi nodes on one Redis; node k's subscribers (`subs` sockets per channel) are on
// its own channels/nodes channels; signed HTTP triggers spread evenly over all channels (and over the
// nodes they are sent to) at `rate` events/s for `duration` s. Measured between two snapshots around
// the publishing: each node's inbound pub/sub messages (a RESP-parsing proxy between the node and a
// standalone Redis, and the node's own pushi_cluster_inbound_* counters when it has them) ÷ events
// published; Redis commands, bytes out and CPU per event (INFO); every delivery checked per socket
// and event (lost, duplicated, on the wrong channel). With --redis-cluster the nodes get a local
// 3-master Redis Cluster's seeds (no proxy: cluster clients connect to the addresses Redis announces).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedisCluster, startRedisServer } from '../../scripts/redis-cluster.mjs';
import { freePort } from './ports.mjs';
import { creds, deliveries, publish, subscribeAll } from './interest-load.mjs';
import { RedisTap, redisStats, statsDelta } from './redis-tap.mjs';
import { cpuMs, sleep } from './server-proc.mjs';
import { startNodeFlags } from './start-flags.mjs';

/** Sum of every sample of `name` in a Prometheus text page, or null when the page has none. */
function metricSum(text, name) {
  let sum = null;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
      sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** The node's own count of what it received from Redis pub/sub, or null when it does not count it. */
async function nodeInbound(node) {
  const text = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
  const messages = metricSum(text, 'pushi_cluster_inbound_messages_total');
  return messages === null ? null : { messages, bytes: metricSum(text, 'pushi_cluster_inbound_bytes_total') };
}

/** The bench app: from the environment, or from an apps file when an app option is asked for. */
function appEnv(o, tmp) {
  if (o.recoveryWindowSeconds === undefined)
    return { PUSHI_APP_ID: creds.id, PUSHI_APP_KEY: creds.key, PUSHI_APP_SECRET: creds.secret };
  const file = path.join(tmp, 'apps.json');
  const app = { ...creds, name: 'bench', options: { recoveryWindowSeconds: o.recoveryWindowSeconds } };
  fs.writeFileSync(file, JSON.stringify({ apps: [app] }));
  return { PUSHI_APPS_FILE: file };
}

/**
 * Starts the nodes into `nodes` (so that the caller stops them whatever happens), each ready
 * (GET /ready 200), or throws a clear error naming the node and the end of its log.
 */
async function startNodes(o, redisUrlOf, tmp, nodes) {
  const flags = startNodeFlags(o.root);
  const prefix = `pushi-bench-interest-${Date.now().toString(36)}:`;
  for (let k = 0; k < o.nodes; k++) {
    const port = await freePort();
    const log = path.join(tmp, `node-${k}.log`);
    const out = fs.openSync(log, 'a');
    const env = {
      ...process.env,
      SERVER_PORT: String(port),
      APP_PORT: String(port),
      ...appEnv(o, tmp),
      PUSHI_DB: path.join(tmp, `node-${k}.db`),
      PUSHI_REDIS_URL: await redisUrlOf(k),
      PUSHI_REDIS_PREFIX: prefix,
      PUSHI_SHUTDOWN_GRACE_MS: '0',
      LOG_LEVEL: 'warn',
    };
    const child = spawn(process.execPath, [...flags, '--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: o.root,
      env,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    nodes.push({
      k,
      port,
      log,
      child,
      redisUrl: env.PUSHI_REDIS_URL,
      exited: new Promise((r) => child.once('exit', r)),
    });
  }
  await Promise.all(
    nodes.map(async (n) => {
      const deadline = Date.now() + 90_000;
      for (;;) {
        if (n.child.exitCode !== null || n.child.signalCode !== null) throw notReady(n, 'exited');
        try {
          if ((await fetch(`http://127.0.0.1:${n.port}/ready`)).status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw notReady(n, 'not ready after 90 s');
        await sleep(200);
      }
    }),
  );
}

function notReady(n, why) {
  const tail = fs.readFileSync(n.log, 'utf8').trim().split('\n').slice(-8).join('\n    ');
  return new Error(`node ${n.k} ${why} with PUSHI_REDIS_URL=${n.redisUrl}; its log ends:\n    ${tail}`);
}

async function stopNodes(nodes) {
  await Promise.all(
    nodes.map(async (n) => {
      if (n.child.exitCode !== null || n.child.signalCode !== null) return;
      n.child.kill('SIGTERM');
      const t = setTimeout(() => n.child.kill('SIGKILL'), 8000);
      await n.exited;
      clearTimeout(t);
    }),
  );
}

async function snapshot(nodes, taps, redisServers) {
  return {
    at: performance.now(),
    taps: taps.map((t) => t.snapshot()),
    counters: await Promise.all(nodes.map(nodeInbound)),
    cpuMs: nodes.map((n) => cpuMs(n.child.pid)),
    redis: await redisStats(redisServers),
  };
}

/** Runs the scenario; resolves with the result object (result.error set when the nodes could not start). */
export async function runInterest(o) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pushi-bench-interest-'));
  const cleanup = [];
  const result = { scenario: 'interest', options: { ...o, root: undefined }, date: new Date().toISOString() };
  try {
    let redisServers;
    let taps = [];
    let redisUrlOf;
    if (o.redisCluster) {
      const rc = await startRedisCluster({ masters: 3 });
      cleanup.push(() => rc.stop());
      redisServers = rc.seeds;
      redisUrlOf = async () => rc.url;
      result.redisTarget = `local 3-master Redis Cluster ${rc.url}`;
    } else {
      // A Redis of its own by default, so that INFO counts this benchmark only.
      const r = o.redisUrl ? new URL(o.redisUrl) : await startRedisServer();
      if (!o.redisUrl) cleanup.push(() => r.stop());
      const target = { host: r.hostname ?? r.host, port: Number(r.port) };
      redisServers = [target];
      taps = Array.from({ length: o.nodes }, () => new RedisTap(target));
      cleanup.push(() => Promise.all(taps.map((t) => t.close())));
      redisUrlOf = (k) => taps[k].start();
      result.redisTarget = `standalone redis://${target.host}:${target.port}${o.redisUrl ? ' (shared)' : ' (private)'}`;
    }
    const nodes = [];
    cleanup.push(() => stopNodes(nodes));
    await startNodes(o, redisUrlOf, tmp, nodes);
    const sockets = await subscribeAll(o, nodes);
    cleanup.push(() => sockets.forEach((s) => s.ws?.terminate()));
    await sleep(1000); // subscriptions in Redis settle, startup traffic is over
    const before = await snapshot(nodes, taps, redisServers);
    const pub = await publish(o, nodes);
    // Drain: until everything expected has arrived, or nothing more for 3 s.
    for (let last = -1, still = 0; still < 3000; still += 100) {
      const got = deliveries(o, sockets, pub.accepted).received;
      if (got >= pub.accepted.size * o.subs) break;
      if (got !== last) [last, still] = [got, 0];
      await sleep(100);
    }
    const after = await snapshot(nodes, taps, redisServers);
    Object.assign(result, measure(o, nodes, pub, before, after), { deliveries: deliveries(o, sockets, pub.accepted) });
  } catch (err) {
    const hint = o.redisCluster && /^node \d+ (exited|not ready)/.test(err.message);
    result.error = `${err.message}${hint ? '\n(--redis-cluster needs nodes that take comma-separated seeds in PUSHI_REDIS_URL)' : ''}`;
  } finally {
    for (const f of cleanup.reverse()) await f();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

function measure(o, nodes, pub, before, after) {
  const events = pub.accepted.size;
  const per = (x) => (x == null ? null : Math.round((x / events) * 1000) / 1000);
  const rate = (x) => (x == null ? null : Math.round(x / pub.seconds));
  const delta = (f) => (a, b) => (a == null || b == null ? null : f(b) - f(a));
  const msgs = delta((s) => s.messages);
  const bytes = delta((s) => s.bytes);
  const redis = statsDelta(before.redis, after.redis);
  return {
    publish: {
      events,
      failed: pub.total - events,
      seconds: pub.seconds,
      perSec: rate(events),
      firstError: pub.firstError,
    },
    nodes: nodes
      .map((n, k) => ({
        node: k,
        tap: before.taps[k] && {
          messages: msgs(before.taps[k], after.taps[k]),
          bytes: bytes(before.taps[k], after.taps[k]),
        },
        counter: before.counters[k] && {
          messages: msgs(before.counters[k], after.counters[k]),
          bytes: bytes(before.counters[k], after.counters[k]),
        },
        cpuMs: after.cpuMs[k] - before.cpuMs[k],
      }))
      .map((r) => ({
        ...r,
        tapPerSec: rate(r.tap?.messages),
        tapRatio: per(r.tap?.messages),
        counterPerSec: rate(r.counter?.messages),
        counterRatio: per(r.counter?.messages),
      })),
    redis: {
      ...redis,
      perEvent: {
        commands: per(redis.commands),
        netOutBytes: per(redis.netOutBytes),
        cpuUs: per(redis.cpuMs * 1000),
        // Every command called in the window, most frequent first.
        calls: Object.fromEntries(
          Object.entries(redis.calls)
            .sort((x, y) => y[1] - x[1])
            .map(([cmd, n]) => [cmd, per(n)]),
        ),
      },
    },
  };
}
