// Delivery continuity across nodes: positions are the cluster's (one stream per channel in
// Redis), a client resumes on any node, and a node cut off from Redis catches its subscribers up
// when it comes back: nothing lost, nothing twice, in order; or a 4200 when the gap is too long.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildServer } from '../helpers/child-server.ts';
import type { Frame } from '../helpers/raw-client.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';
import {
  APP,
  deleteKeys,
  type Client,
  type Cluster,
  OpenClients,
  RedisProxy,
  redisSkipReason,
  startCluster,
  waitUntil,
} from './helpers.ts';

const skip = await redisSkipReason();
const T = 15_000;
/** A second app that keeps 5 events per channel. */
const SHORT = { id: 'short-app', key: 'short-key', secret: 'short-secret' };
/** A third app whose events stay recoverable for 2 s. */
const BRIEF = { id: 'brief-app', key: 'brief-key', secret: 'brief-secret' };

describe('continuity across nodes', { skip, timeout: 300_000 }, () => {
  let cluster: Cluster;
  let proxy: RedisProxy;
  let a: ChildServer; // direct to Redis
  let c: ChildServer; // reaches Redis through the proxy
  let dir: string;
  const clients = new OpenClients();
  const client = (node: ChildServer, app = APP) => clients.connect(node, app.key);
  const ready = async (node: ChildServer) => (await fetch(`${node.httpUrl}/ready`)).status;
  const events = (cl: Client, channel: string) =>
    cl.frames.filter((f) => f.channel === channel && !f.event.startsWith('pusher'));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pushi-continuity-'));
    const appsFile = join(dir, 'apps.json');
    const apps = [
      { ...APP, options: { clientEvents: true } },
      { ...SHORT, options: { recoveryMaxEvents: 5 } },
      { ...BRIEF, options: { recoveryWindowSeconds: 2 } },
    ];
    writeFileSync(appsFile, JSON.stringify({ apps }));
    proxy = new RedisProxy();
    const viaProxy = await proxy.start();
    cluster = await startCluster(1, { PUSHI_APPS_FILE: appsFile });
    [a] = cluster.nodes;
    c = await cluster.add(viaProxy);
  });
  after(async () => {
    clients.closeAll();
    await cluster?.close();
    await proxy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every node sees the same offsets for a channel, whichever node triggered', async () => {
    const onA = await client(a);
    const onC = await client(c);
    for (const cl of [onA, onC]) await cl.subscribe('shared');
    await a.sdk(APP).trigger('shared', 'one', {});
    await c.sdk(APP).trigger('shared', 'two', {});
    for (const cl of [onA, onC]) await cl.waitFor((f) => f.event === 'two', T);
    const seen = (cl: Client) => events(cl, 'shared').map((f) => [f.event, f.epoch, f.offset]);
    assert.deepEqual(seen(onA), seen(onC));
    assert.deepEqual(
      seen(onA).map((e) => e[2]),
      [1, 2],
    );
  });

  test('a client resumes on another node: the missed events come from the stream in Redis', async () => {
    const first = await client(a);
    await first.subscribe('moving');
    await a.sdk(APP).trigger('moving', 'seen', {});
    const last = await first.waitFor((f) => f.event === 'seen', T);
    first.close();
    for (const n of [1, 2, 3]) await a.sdk(APP).trigger('moving', `missed${n}`, {});
    const back = await client(c);
    back.send({
      event: 'pusher:subscribe',
      data: { channel: 'moving', recover: { epoch: last.epoch, offset: last.offset } },
    });
    const ok = await back.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
    const replayed = back.frames.slice(0, back.frames.indexOf(ok)).filter((f) => f.channel === 'moving');
    assert.deepEqual(
      replayed.map((f) => f.event),
      ['missed1', 'missed2', 'missed3'],
    );
    assert.deepEqual(JSON.parse(ok.data as string), { recovered: true, epoch: last.epoch, offset: 4 });
    await a.sdk(APP).trigger('moving', 'later', {});
    assert.equal((await back.waitFor((f) => f.event === 'later', T)).offset, 5);
  });

  test('cache channels: the cached event carries its position on every node, and a recovered resume does not get it', async () => {
    const ch = 'cache-scaled';
    const onA = await client(a);
    await onA.subscribe(ch);
    const sdk = c.sdk(APP); // the triggering node has no subscriber of its own on the channel
    await sdk.trigger(ch, 'one', {});
    await sdk.trigger(ch, 'two', {});
    const two = await onA.waitFor((f) => f.event === 'two', T);
    const one = events(onA, ch)[0];
    /** A subscribe with `recover` (or none) on `node`, up to a barrier event triggered after it. */
    const subscribeOn = async (node: ChildServer, recover: unknown, barrier: string) => {
      const cl = await client(node);
      cl.send({ event: 'pusher:subscribe', data: { channel: ch, recover } });
      const ok = await cl.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
      await sdk.trigger(ch, barrier, {});
      const end = await cl.waitFor((f) => f.event === barrier, T);
      const between = cl.frames.slice(cl.frames.indexOf(ok) + 1, cl.frames.indexOf(end));
      return { answer: JSON.parse(ok.data as string), between: between.map((f) => [f.event, f.epoch, f.offset]) };
    };
    // On the node that received it over the bus, and on the node that triggered it.
    const freshA = await subscribeOn(a, undefined, 'three');
    assert.deepEqual(freshA.between, [['two', two.epoch, 2]], 'the cached event with its position');
    const freshC = await subscribeOn(c, undefined, 'four');
    assert.deepEqual(freshC.between, [['three', two.epoch, 3]]);
    const behind = await subscribeOn(c, { epoch: one.epoch, offset: 2 }, 'five'); // replays 3 and 4
    assert.equal(behind.answer.recovered, true);
    assert.deepEqual(behind.between, [], 'the replay covered it');
    const upToDate = await subscribeOn(a, { epoch: two.epoch, offset: 5 }, 'six');
    assert.equal(upToDate.answer.recovered, true);
    assert.deepEqual(upToDate.between, [], 'recovered: the cached event is not sent again');
    const lost = await subscribeOn(c, { epoch: 'ffffffffffff', offset: 1 }, 'seven');
    assert.equal(lost.answer.recovered, false);
    assert.deepEqual(lost.between, [['six', two.epoch, 6]], 'not recovered: the cached event, with its position');
  });

  test("a channel's stream deleted from Redis starts a new epoch: a resume from the old one is not recovered", async () => {
    const ch = 'flushed';
    const first = await client(a);
    await first.subscribe(ch);
    const sdk = a.sdk(APP);
    await sdk.trigger(ch, 'old', {});
    const old = await first.waitFor((f) => f.event === 'old', T);
    first.close();
    await deleteKeys(cluster.redis, `${cluster.prefix}{${APP.id}:${ch}}:`); // what FLUSHALL does to it
    await sdk.trigger(ch, 'new', {});
    const back = await client(c);
    back.send({ event: 'pusher:subscribe', data: { channel: ch, recover: { epoch: old.epoch, offset: old.offset } } });
    const ok = await back.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
    const answer = JSON.parse(ok.data as string);
    assert.equal(answer.recovered, false);
    assert.notEqual(answer.epoch, old.epoch, 'a new epoch');
    assert.equal(answer.offset, 1, 'counting again from the first event after the deletion');
    assert.deepEqual(events(back, ch), [], 'nothing replayed');
  });

  test('in Redis, a gap whose oldest missed event is past the recovery window is not recovered', async () => {
    const ch = 'aging';
    const onA = await client(a, BRIEF);
    await onA.subscribe(ch);
    const sdk = a.sdk(BRIEF);
    await sdk.trigger(ch, 'seen', {});
    const seen = await onA.waitFor((f) => f.event === 'seen', T);
    await sdk.trigger(ch, 'aged', {});
    const agedAt = Date.now();
    // Newer events keep the stream (its keys expire 2 s after the last one) while `aged` gets old.
    let n = 0;
    while (Date.now() - agedAt < 3000) {
      await sdk.trigger(ch, `fresh${++n}`, {});
      await onA.waitFor((f) => f.event === `fresh${n}`, T);
      await new Promise((r) => setTimeout(r, 250)); // lets the time pass that this test is about
    }
    const recent = events(onA, ch).at(-2)!;
    const resume = async (from: Frame) => {
      const cl = await client(c, BRIEF);
      cl.send({
        event: 'pusher:subscribe',
        data: { channel: ch, recover: { epoch: from.epoch, offset: from.offset } },
      });
      const ok = await cl.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
      return { answer: JSON.parse(ok.data as string), replayed: events(cl, ch).map((f) => f.event) };
    };
    const late = await resume(seen);
    assert.deepEqual(late, { answer: { recovered: false, epoch: seen.epoch, offset: n + 2 }, replayed: [] });
    const inWindow = await resume(recent);
    assert.deepEqual(inWindow, {
      answer: { recovered: true, epoch: seen.epoch, offset: n + 2 },
      replayed: [`fresh${n}`],
    });
  });

  test('a node cut off from Redis delivers what it missed once it is back: none lost, none twice, in order', async () => {
    const channels = ['cut-1', 'cut-2', 'private-cut-3'];
    const onC = await client(c);
    for (const ch of channels) {
      await onC.subscribe(
        ch,
        ch.startsWith('private-') ? channelAuth(APP.key, APP.secret, onC.socketId, ch) : undefined,
      );
    }
    const sdk = a.sdk(APP);
    await sdk.trigger(channels, 'before', {});
    for (const ch of channels) await onC.waitFor((f) => f.channel === ch && f.event === 'before', T);

    proxy.cut();
    await waitUntil(async () => (await ready(c)) === 503, T, 'C to notice the cut');
    const N = 30;
    for (let i = 1; i <= N; i++) await sdk.trigger(channels, `during${i}`, { i });
    proxy.restore();
    await waitUntil(async () => (await ready(c)) === 200, 30_000, 'C to reconnect');
    await sdk.trigger(channels, 'after', {});
    for (const ch of channels) await onC.waitFor((f) => f.channel === ch && f.event === 'after', T);

    for (const ch of channels) {
      const got = events(onC, ch);
      const names = got.map((f) => f.event);
      const expected = ['before', ...Array.from({ length: N }, (_, i) => `during${i + 1}`), 'after'];
      assert.deepEqual(names, expected, `${ch}: every event once, in order`);
      assert.deepEqual(
        got.map((f: Frame) => f.offset),
        expected.map((_, i) => i + 1),
      );
    }
    assert.equal(onC.closeCode, undefined, 'caught up without a reconnect');
  });

  test('under load (500 events/s over 50 channels), a 10 s cut loses nothing and doubles nothing', async () => {
    const channels = Array.from({ length: 50 }, (_, i) => `load-${i}`);
    const subscribers = await Promise.all(Array.from({ length: 5 }, () => client(c)));
    for (const [i, cl] of subscribers.entries()) {
      for (const ch of channels.slice(i * 10, i * 10 + 10)) await cl.subscribe(ch);
    }
    const sdk = a.sdk(APP);
    const sent = new Map<string, number>(channels.map((ch) => [ch, 0]));
    let next = 0;
    let failures = 0;
    // Ten events per batch, one batch every 20 ms: 500 events/s, each channel's numbered in order.
    const tick = () => {
      const batch = Array.from({ length: 10 }, () => {
        const channel = channels[next++ % channels.length];
        const n = sent.get(channel)! + 1;
        sent.set(channel, n);
        return { channel, name: 'n', data: String(n) };
      });
      return sdk.triggerBatch(batch).catch(() => failures++);
    };
    const inflight: Promise<unknown>[] = [];
    const load = setInterval(() => inflight.push(tick()), 20);
    try {
      await new Promise((r) => setTimeout(r, 1000)); // load running before the cut
      proxy.cut();
      await waitUntil(async () => (await ready(c)) === 503, T, 'C to notice the cut');
      await new Promise((r) => setTimeout(r, 10_000)); // the cut itself lasts 10 s
      proxy.restore();
      await waitUntil(async () => (await ready(c)) === 200, 30_000, 'C to reconnect');
      await new Promise((r) => setTimeout(r, 1000)); // load goes on after the cut
    } finally {
      clearInterval(load);
    }
    await Promise.all(inflight);
    assert.equal(failures, 0, 'every batch was accepted');
    await sdk.trigger(channels.slice(0, 10), 'end', {});
    await sdk.trigger(channels.slice(10, 20), 'end', {});
    await sdk.trigger(channels.slice(20, 30), 'end', {});
    await sdk.trigger(channels.slice(30, 40), 'end', {});
    await sdk.trigger(channels.slice(40, 50), 'end', {});
    for (const [i, cl] of subscribers.entries()) {
      for (const ch of channels.slice(i * 10, i * 10 + 10)) {
        await cl.waitFor((f) => f.channel === ch && f.event === 'end', 30_000);
        const got = events(cl, ch)
          .filter((f) => f.event === 'n')
          .map((f) => Number(f.data));
        const expected = Array.from({ length: sent.get(ch)! }, (_, k) => k + 1);
        assert.deepEqual(got, expected, `${ch}: ${sent.get(ch)} events, each once, in order`);
      }
      assert.equal(cl.closeCode, undefined);
    }
  });

  test('a subscribe on a node cut off from Redis is never left unaware of what it missed', async () => {
    // `fresh` had no subscriber on C before the cut: C cannot know where its stream stood.
    // `known` had one: C knows the last position it delivered and catches the newcomer up from it.
    const keeper = await client(c);
    await keeper.subscribe('known');
    const sdk = a.sdk(APP);
    await sdk.trigger('known', 'before', {});
    await keeper.waitFor((f) => f.event === 'before', T);
    proxy.cut();
    await waitUntil(async () => (await ready(c)) === 503, T, 'C to notice the cut');
    const onFresh = await client(c);
    const onKnown = await client(c);
    const freshOk = JSON.parse((await onFresh.subscribe('fresh')).data as string);
    const knownOk = JSON.parse((await onKnown.subscribe('known')).data as string);
    assert.equal(typeof freshOk.epoch, 'string', 'a position even while Redis is away');
    assert.equal(typeof freshOk.offset, 'number');
    const before = events(keeper, 'known')[0];
    assert.deepEqual(knownOk, { epoch: before.epoch, offset: before.offset }, 'the last position delivered here');
    for (let i = 1; i <= 3; i++) await sdk.trigger(['fresh', 'known'], `during${i}`, {});
    proxy.restore();
    // Events of `fresh` before the subscribe cannot be told apart from later ones: its subscriber
    // is told to resume, and the resume from the position it was given says recovered: false.
    assert.equal(await onFresh.waitClose(30_000), 4200);
    assert.deepEqual(events(onFresh, 'fresh'), [], 'nothing partial was delivered');
    const back = await client(c);
    back.send({ event: 'pusher:subscribe', data: { channel: 'fresh', recover: freshOk } });
    const ok = await back.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
    const answer = JSON.parse(ok.data as string);
    assert.equal(answer.recovered, false);
    assert.equal(answer.offset, 3);
    // `known`: the newcomer gets every event after the position it was given, once, in order.
    await sdk.trigger('known', 'after', {});
    for (const cl of [keeper, onKnown]) await cl.waitFor((f) => f.event === 'after', T);
    assert.deepEqual(
      events(onKnown, 'known').map((f) => [f.event, f.offset]),
      [
        ['during1', 2],
        ['during2', 3],
        ['during3', 4],
        ['after', 5],
      ],
    );
    assert.equal(onKnown.closeCode, undefined);
  });

  test('past the recovery window the cut node tells its subscribers to reconnect (4200)', async () => {
    const onC = await client(c, SHORT);
    const bystander = await client(c, SHORT);
    await onC.subscribe('short-cut');
    const sdk = a.sdk(SHORT);
    await sdk.trigger('short-cut', 'before', {});
    await onC.waitFor((f) => f.event === 'before', T);
    proxy.cut();
    await waitUntil(async () => (await ready(c)) === 503, T, 'C to notice the cut');
    for (let i = 1; i <= 8; i++) await sdk.trigger('short-cut', `during${i}`, {}); // more than the 5 kept
    proxy.restore();
    assert.equal(await onC.waitClose(30_000), 4200);
    assert.equal(events(onC, 'short-cut').length, 1, 'nothing partial was delivered');
    assert.equal(bystander.closeCode, undefined, 'sockets not on the channel stay');
    // Reconnected, the client resumes and is told the gap cannot be served.
    const back = await client(c, SHORT);
    const last = events(onC, 'short-cut')[0];
    back.send({
      event: 'pusher:subscribe',
      data: { channel: 'short-cut', recover: { epoch: last.epoch, offset: last.offset } },
    });
    const ok = await back.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded', T);
    assert.deepEqual(JSON.parse(ok.data as string), { recovered: false, epoch: last.epoch, offset: 9 });
  });
});
