// hundred-k: `pushi serve --workers W` with Redis takes `conns` Pusher WebSockets (default 100,000),
// each subscribing to one channel (all to one, or spread over K), from client processes on local
// addresses 127.0.x.y (hundred-k-clients.mjs); then `events` HTTP triggers at `rate`/s, each to every
// channel, must reach every socket. Reports the time until all are subscribed, deliveries/s, latency
// percentiles (sampled sockets read the send time from the payload), the RSS of the primary and its
// workers summed, and KB per connection. Preconditions first (hundred-k-checks.mjs).
import { fork } from 'node:child_process';
import { Redis } from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hist } from '../harness/lib/hist.mjs';
import { Publisher, makePayload, nowMs } from '../harness/lib/pusher.mjs';
import { describeChecks, planRun, PORTS } from './hundred-k-checks.mjs';
import { childrenOf, rssKb, sleep, startServer, treeUsage } from './server-proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PER_TRIGGER = 100; // the app's maxChannelsPerTrigger
const r1 = (x) => Math.round(x * 10) / 10;
const log = (...x) => console.error(...x);

/** Forked client processes; `ask` sends a command to all and resolves with their replies. */
function generators(plan) {
  const kids = [];
  const progress = [];
  for (let i = 0; i < plan.procs; i++) {
    const cp = fork(path.join(here, 'hundred-k-clients.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    progress.push({});
    cp.on('message', (m) => m.type === 'progress' && (progress[i] = m));
    kids.push(cp);
  }
  const ask = (msg, each = () => ({})) =>
    Promise.all(
      kids.map(
        (cp, i) =>
          new Promise((resolve) => {
            const on = (m) => m.type === msg.cmd && (cp.off('message', on), resolve(m));
            cp.on('message', on);
            cp.send({ ...msg, ...each(i) });
          }),
      ),
    );
  const send = (each) => kids.forEach((cp, i) => cp.send(each(i)));
  const sum = (k) => progress.reduce((s, p) => s + (p[k] ?? 0), 0);
  const stop = async () => {
    await Promise.race([ask({ cmd: 'close' }), sleep(10_000)]);
    for (const cp of kids) if (cp.exitCode === null) cp.kill('SIGKILL');
  };
  return { ask, send, sum, stop, progress };
}

/** Resolves once `fn()` stops changing for `stallMs` or `done()` holds; polls every 250 ms. */
async function until(done, fn, { stallMs, timeoutMs, every = 5000, say }) {
  const t0 = Date.now();
  let last = fn();
  let lastChange = Date.now();
  let lastSay = Date.now();
  while (!done()) {
    await sleep(250);
    const v = fn();
    if (v !== last) {
      last = v;
      lastChange = Date.now();
    }
    if (Date.now() - lastSay >= every) {
      lastSay = Date.now();
      say();
    }
    if (Date.now() - lastChange > stallMs || Date.now() - t0 > timeoutMs) return false;
  }
  return true;
}

const tail = (target) => fs.readFileSync(target.log, 'utf8').trim().split('\n').slice(-5).join('\n');

/** Throws when the server's primary is gone (crashed, or stopped by someone else), with its log's end. */
function alive(target, pid, when) {
  if (rssKb(pid) === null) throw new Error(`the server exited ${when}; its log ends:\n${tail(target)}`);
}

/** Waits for the primary's "pushi started" (every worker listening) in the server log. */
async function allWorkersUp(target, pid, workers) {
  const t0 = Date.now();
  while (!fs.readFileSync(target.log, 'utf8').includes('pushi started')) {
    if (Date.now() - t0 > 120_000)
      throw new Error(`${workers} workers not up after 120 s; the log ends:\n${tail(target)}`);
    alive(target, pid, 'at start');
    await sleep(200);
  }
  const n = childrenOf(pid).length;
  if (n !== workers) throw new Error(`expected ${workers} workers, found ${n} children of ${pid}`);
}

async function publishAll(pub, o, channels) {
  const names = Array.from({ length: channels }, (_, i) => `hk-${i}`);
  const sent = [];
  const t0 = nowMs();
  for (let seq = 0; seq < o.events; seq++) {
    if (o.rate > 0) await sleep(Math.max(0, t0 + (seq * 1000) / o.rate - nowMs()));
    const data = makePayload(seq, o.size);
    for (let i = 0; i < names.length; i += PER_TRIGGER) {
      const p = pub.trigger(names.slice(i, i + PER_TRIGGER), 'hk', data);
      sent.push(o.rate > 0 ? p : await p);
    }
  }
  await Promise.all(sent);
  return nowMs() - t0;
}

/** Runs the scenario against `target` (a pushiTarget with --workers and Redis); returns one result object. */
export async function runHundredK(target, o) {
  const res = { scenario: 'hundred-k', target: target.name, params: { ...o, creds: undefined } };
  const plan = await planRun({ conns: o.conns, workers: o.workers, procs: o.procs, redisUrl: o.redisUrl });
  log(
    `[hundred-k] preconditions for ${o.conns} connections on ${o.workers} workers:\n${describeChecks(plan, o.conns)}`,
  );
  res.checks = plan.checks;
  res.conns = plan.conns;
  if (plan.fatal) return { ...res, error: plan.fatal };
  log(
    `[hundred-k] ${plan.conns} clients in ${plan.procs} processes on ${plan.addrs.length} addresses ` +
      `(${plan.addrs[0]} … ${plan.addrs.at(-1)}), ports ${PORTS[0]}-${PORTS[1]}`,
  );
  const server = await startServer(target);
  let gen = null;
  try {
    await allWorkersUp(target, server.pid, o.workers);
    await sleep(o.settleMs);
    const idle = treeUsage(server.pid);
    res.server = { pids: idle.pids, rssKbIdle: idle.rssKb };
    log(`[hundred-k] ${o.workers} workers up, RSS ${Math.round(idle.rssKb / 1024)} MB in all; connecting`);

    gen = generators(plan);
    const channels = Math.max(1, o.channels);
    const t0 = nowMs();
    gen.send((i) => ({
      cmd: 'open',
      cfg: {
        host: '127.0.0.1',
        port: target.port,
        path: `/app/${o.creds.key}?protocol=7&client=pushi-bench&version=1.0`,
        first: i * plan.perProc,
        count: Math.min(plan.perProc, plan.conns - i * plan.perProc),
        localAddrs: plan.addrs.slice(i * plan.addrsPerProc, (i + 1) * plan.addrsPerProc),
        portLo: PORTS[0],
        portHi: PORTS[1],
        channels,
        prefix: 'hk-',
        sampleEvery: o.sampleEvery,
        concurrency: Math.max(1, Math.ceil(o.concurrency / plan.procs)),
      },
    }));
    let tConn = null;
    const say = () =>
      log(
        `  ${r1((nowMs() - t0) / 1000)} s: connected ${gen.sum('connected')}, subscribed ${gen.sum('subscribed')}, ` +
          `errors ${gen.sum('errors')}${gen.sum('errors') ? ` (${gen.progress.find((p) => p.lastError)?.lastError})` : ''}`,
      );
    const allSub = await until(
      () => {
        if (tConn === null && gen.sum('connected') >= plan.conns) tConn = nowMs();
        return gen.sum('subscribed') >= plan.conns;
      },
      () => gen.sum('connected') + gen.sum('subscribed') + gen.sum('errors'),
      { stallMs: 30_000, timeoutMs: o.connectTimeoutS * 1000, say },
    );
    const tSub = nowMs();
    say();
    alive(target, server.pid, 'while clients connected');
    const conn = treeUsage(server.pid);
    const subscribed = gen.sum('subscribed');
    res.connect = {
      asked: plan.conns,
      connected: gen.sum('connected'),
      subscribed,
      errors: gen.sum('errors'),
      portsTakenElsewhere: gen.sum('portsTaken'),
      lastError: gen.progress.find((p) => p.lastError)?.lastError ?? null,
      allSubscribed: allSub,
      msToAllConnected: tConn && r1(tConn - t0),
      msToAllSubscribed: allSub ? r1(tSub - t0) : null,
      connectionsPerSec: tConn && Math.round((plan.conns / (tConn - t0)) * 1000),
      subscriptionsPerSec: Math.round((subscribed / (tSub - t0)) * 1000),
      serverCpuUsPerConnection: Math.round(((conn.cpuMs - idle.cpuMs) * 1000) / Math.max(1, subscribed)),
    };
    await sleep(o.settleMs);
    const settled = treeUsage(server.pid);
    Object.assign(res.server, {
      rssKbConnected: settled.rssKb,
      rssKbEach: settled.rssKbEach,
      kbPerConnection: Math.round((settled.rssKb / Math.max(1, subscribed)) * 100) / 100,
      kbPerConnectionAboveIdle: Math.round(((settled.rssKb - idle.rssKb) / Math.max(1, subscribed)) * 100) / 100,
    });
    log(
      `[hundred-k] ${subscribed} subscribed in ${r1((tSub - t0) / 1000)} s; server RSS ${Math.round(settled.rssKb / 1024)} MB ` +
        `(${res.server.kbPerConnection} KB per connection, ${res.server.kbPerConnectionAboveIdle} above idle)`,
    );
    if (!subscribed || !o.events) return res;

    log(`[hundred-k] fan-out: ${o.events} events of ${o.size} B at ${o.rate || 'full'}/s to ${channels} channel(s)`);
    await gen.ask({ cmd: 'reset' });
    const pub = new Publisher({ host: '127.0.0.1', port: target.port, appId: o.creds.id, ...o.creds });
    const cpu0 = treeUsage(server.pid).cpuMs;
    const tPub = nowMs();
    const publishMs = await publishAll(pub, o, channels);
    pub.close();
    const accepted = Math.floor(pub.ok / Math.ceil(channels / PER_TRIGGER));
    const expected = accepted * subscribed;
    await until(
      () => gen.sum('received') >= expected,
      () => gen.sum('received'),
      { stallMs: 15_000, timeoutMs: 600_000, say: () => log(`  received ${gen.sum('received')} of ${expected}`) },
    );
    alive(target, server.pid, 'during the fan-out');
    const stats = await gen.ask({ cmd: 'stats' });
    const cpu = treeUsage(server.pid).cpuMs - cpu0;
    const lat = new Hist();
    const perSocket = {};
    for (const s of stats) {
      lat.merge(s.lat);
      for (const [k, v] of Object.entries(s.perSocket)) perSocket[k] = (perSocket[k] ?? 0) + v;
    }
    const received = stats.reduce((x, s) => x + s.received, 0);
    const spanMs = Math.max(...stats.map((s) => s.lastRecv)) - tPub;
    res.fanout = {
      events: o.events,
      accepted,
      httpFailed: pub.failed,
      lastHttpError: pub.lastError,
      publishMs: r1(publishMs),
      expected,
      received,
      lost: Math.max(0, expected - received),
      socketsWithEveryEvent: perSocket[accepted] ?? 0,
      socketsByEventsReceived: perSocket,
      deliveriesPerSec: Math.round((received / spanMs) * 1000),
      spanMs: r1(spanMs),
      latencyMs: lat.summary(),
      serverCpuUsPerDelivery: Math.round(((cpu * 1000) / Math.max(1, received)) * 100) / 100,
      generatorCpuMs: Math.round(stats.reduce((x, s) => x + s.cpuMs, 0)),
      generatorRssKb: stats.reduce((x, s) => x + s.rssKb, 0),
    };
    res.server.rssKbAfterFanout = treeUsage(server.pid).rssKb;
    const l = res.fanout.latencyMs;
    log(
      `[hundred-k] ${received} of ${expected} deliveries (${res.fanout.socketsWithEveryEvent} of ${subscribed} sockets got ` +
        `all ${accepted} events), ${res.fanout.deliveriesPerSec}/s; latency p50 ${l.p50} p95 ${l.p95} p99 ${l.p99} ms`,
    );
    return res;
  } catch (e) {
    res.error = String(e?.stack ?? e);
    log(`[hundred-k] ERROR ${res.error}`);
    return res;
  } finally {
    if (gen) await gen.stop();
    const workers = childrenOf(server.pid);
    await server.stop();
    for (const pid of workers) if (rssKb(pid) !== null) process.kill(pid, 'SIGKILL');
    await dropKeys(o.redisUrl, o.redisPrefix);
  }
}

/** Deletes the run's Redis keys (its own prefix). */
async function dropKeys(url, prefix) {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch (e) {
    log(`[hundred-k] could not delete the Redis keys ${prefix}*: ${e.message}`);
  } finally {
    redis.disconnect();
  }
}
