// The Redis phases of scripts/faults.mjs: two nodes share Redis, node 2 through a TCP proxy that
// either cuts it (connections closed, port refusing: 'down') or black-holes it (connections open,
// nothing forwarded: 'hold'). Checked: each node keeps serving its own clients, answers in time,
// says it is degraded, the cluster comes back, every event published on the healthy node during the
// cut reaches node 2's clients once it is back (none lost), and both nodes show both members of a
// presence channel after the restore. Reported: what each node's presence shows during the cut.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startLiveServer } from '../test/hardening/live-server.ts';
import { api, readyStatus, TcpProxy } from '../test/hardening/fault-kit.ts';
import { RawClient } from '../test/helpers/raw-client.ts';
import { channelAuth } from '../src/protocol/signatures.ts';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Answers during the cut (ms), with room for a busy machine. */
const BOUNDS = { triggerMs: 1500, readyMs: 2000, socketMs: 2000 };
const PRESENCE = 'presence-room';
const DURING = 20; // events node 1 publishes while node 2 is cut off
const MEMBERS = ['u1', 'u2']; // one presence member on each node
/** After the restore: how long the missed events and both members may take to show. */
const SETTLE_MS = 15_000;

const reachable = () =>
  new Promise((resolve) => {
    const s = connect(6379, '127.0.0.1', () => (s.destroy(), resolve(true)));
    s.on('error', () => resolve(false));
  });

/** `ctx`: { dir, appsFile, APP, EXPECTED, OUTAGE_MS }; `mode`: 'down' or 'hold'. */
export async function redisPhase(ctx, name, mode) {
  const { APP } = ctx;
  if (!(await reachable())) return { phase: name, skipped: 'Redis not reachable at 127.0.0.1:6379' };
  const prefix = `pushi-faults-${randomBytes(4).toString('hex')}:`;
  const proxy = new TcpProxy('127.0.0.1', 6379);
  await proxy.up();
  const env = (node, port) => ({
    PUSHI_APPS_FILE: ctx.appsFile,
    PUSHI_DB: join(ctx.dir, `${node}-${prefix.slice(-9, -1)}.db`),
    PUSHI_REDIS_URL: `redis://127.0.0.1:${port}`,
    PUSHI_REDIS_PREFIX: prefix,
  });
  const n1 = await startLiveServer({ env: env('n1', 6379), expectedErrors: ctx.EXPECTED });
  const n2 = await startLiveServer({ env: env('n2', proxy.port), expectedErrors: ctx.EXPECTED });
  const r = { phase: name, checks: {}, details: {} };
  let n = 0;
  const send = (node, tag, channel = 'x') =>
    api(node, APP, 'POST', `/apps/${APP.id}/events`, {
      body: { name: 'x', channel, data: `"${tag}-${n++}"`, persist: false },
    });
  const got = (c, tag, ms = 10_000) =>
    c
      .waitFor((f) => f.event === 'x' && String(f.data).startsWith(`"${tag}`), ms)
      .then(
        () => true,
        () => false,
      );
  const users = async (node) => {
    const res = await api(node, APP, 'GET', `/apps/${APP.id}/channels/${PRESENCE}/users`).catch((e) => ({
      status: e.name,
    }));
    return res.status === 200 ? res.body.users.map((u) => u.id).sort() : `answered ${res.status}`;
  };
  const member = async (node, userId) => {
    const c = await RawClient.established(node.wsUrl(APP.key));
    const data = JSON.stringify({ user_id: userId });
    await c.subscribe(PRESENCE, channelAuth(APP.key, APP.secret, c.socketId, PRESENCE, data), data);
    return c;
  };
  try {
    const c1 = await RawClient.established(n1.wsUrl(APP.key));
    const c2 = await RawClient.established(n2.wsUrl(APP.key));
    await c1.subscribe('x');
    await c2.subscribe('x');
    const m1 = await member(n1, MEMBERS[0]);
    const m2 = await member(n2, MEMBERS[1]);
    await m1.waitFor((f) => f.event === 'pusher_internal:member_added', 10_000).catch(() => undefined);
    await sleep(500);
    await send(n1, 'before');
    r.checks.crossNodeBefore = await got(c2, 'before');
    r.details.presenceBefore = { node1: await users(n1), node2: await users(n2) };

    if (mode === 'hold') proxy.hold();
    else await proxy.down();
    const cutAt = Date.now();
    await sleep(500);
    // Node 2's own clients, over its own HTTP API, while it cannot reach Redis.
    let started = Date.now();
    const own = await send(n2, 'cut2').catch((e) => ({ status: e.name }));
    r.details.node2TriggerMs = Date.now() - started;
    // Reported, not checked: online, a node delivers its own events when Redis echoes them (the
    // cluster's order), so on a silent path they wait until the heartbeat finds the link dead.
    const delivered = await got(c2, 'cut2', 20_000);
    r.details.node2OwnDeliveryMs = Date.now() - started;
    r.checks.node2ServesItsOwnDuringCut =
      own.status === 200 && delivered && r.details.node2TriggerMs <= BOUNDS.triggerMs;
    await send(n1, 'cut1');
    r.checks.node1ServesItsOwnDuringCut = await got(c1, 'cut1');
    started = Date.now();
    const c3 = await RawClient.established(n2.wsUrl(APP.key));
    const joined = (await c3.subscribe('x')).event === 'pusher_internal:subscription_succeeded';
    r.details.node2NewSocketMs = Date.now() - started;
    r.checks.newConnectionsDuringCut = joined && r.details.node2NewSocketMs <= BOUNDS.socketMs;
    c3.close();
    // Events published on the healthy node during the cut, spread over the outage; /ready polled.
    const ready = [];
    let slowestReadyMs = 0;
    const spacing = Math.max(50, Math.floor((ctx.OUTAGE_MS - 1000) / DURING));
    for (let i = 0; i < DURING; i++) {
      await send(n1, `during${i}-`);
      if (i % 4 === 0) {
        started = Date.now();
        ready.push(await readyStatus(n2));
        slowestReadyMs = Math.max(slowestReadyMs, Date.now() - started);
      }
      await sleep(spacing);
    }
    r.details.node2Ready = ready;
    r.details.node2SlowestReadyMs = slowestReadyMs;
    r.checks.node2ReadyAnsweredInTime = slowestReadyMs <= BOUNDS.readyMs && !ready.includes(0);
    r.checks.node2ReadyDegraded = ready.includes(503);
    r.details.presenceAfterCut = { node1: await users(n1), node2: await users(n2) };
    const left = ctx.OUTAGE_MS - (Date.now() - cutAt);
    if (left > 0) await sleep(left);

    if (mode === 'hold') proxy.release();
    else await proxy.up();
    const start = Date.now();
    let back = false;
    while (!back && Date.now() - start < 60_000) {
      await send(n1, 'after');
      back = await got(c2, 'after', 1000);
    }
    r.details.crossNodeBackInMs = Date.now() - start;
    r.checks.crossNodeAfterRestore = back;
    await send(n2, 'reverse');
    r.checks.reverseDirection = await got(c1, 'reverse');
    const reached = () =>
      new Set(c2.events('x').flatMap((f) => /"during(\d+)-/.exec(String(f.data))?.slice(1, 2) ?? [])).size;
    const settled = Date.now() + SETTLE_MS;
    while (reached() < DURING && Date.now() < settled) await sleep(100);
    r.details.publishedOnNode1DuringCut = DURING;
    r.details.lostForNode2Clients = DURING - reached();
    r.checks.noneLostForNode2Clients = r.details.lostForNode2Clients === 0;
    const presence = async () => ({ node1: await users(n1), node2: await users(n2) });
    const complete = (p) => [p.node1, p.node2].every((u) => JSON.stringify(u) === JSON.stringify(MEMBERS));
    let after = await presence();
    while (!complete(after) && Date.now() < settled) {
      await sleep(200);
      after = await presence();
    }
    r.details.presenceAfterRestore = after;
    r.checks.presenceAfterRestoreOnBothNodes = complete(after);
    for (const c of [c1, c2, m1, m2]) c.close();
  } catch (err) {
    r.checks.ran = false;
    r.details.error = err.stack ?? String(err);
  } finally {
    proxy.release();
    for (const [i, node] of [n1, n2].entries()) {
      if (node.problems().length) r.details[`problems${i + 1}`] = node.problems().slice(0, 5);
      r.checks[`noCrashNoUnexpectedError${i + 1}`] = node.problems().length === 0;
      await node.stop('SIGTERM');
    }
    await proxy.down();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }
  return r;
}
