// A node whose Redis stops answering without closing (a black-holed path): its triggers are
// answered without waiting for Redis to take the cross-node copy, its own clients get the event once
// the node declares the link dead, /ready says so, and the node rejoins the cluster once the path
// carries traffic again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildServer } from '../helpers/child-server.ts';
import { TcpProxy } from '../hardening/fault-kit.ts';
import { APP, type Client, type Cluster, connect, REDIS_URL, redisSkipReason, startCluster } from './helpers.ts';

const skip = await redisSkipReason();

describe('Redis black-holed under one node', { skip, timeout: 120_000 }, () => {
  let cluster: Cluster;
  let proxy: TcpProxy;
  let a: ChildServer; // direct to Redis
  let c: ChildServer; // through the proxy
  const open: Client[] = [];

  before(async () => {
    const u = new URL(REDIS_URL);
    proxy = new TcpProxy(u.hostname, Number(u.port || 6379));
    await proxy.up();
    cluster = await startCluster(1);
    [a] = cluster.nodes;
    c = await cluster.add(`redis://127.0.0.1:${proxy.port}`);
  });
  after(async () => {
    for (const cl of open) cl.close();
    proxy?.release();
    await cluster?.close();
    await proxy?.down();
  });

  test('its triggers reach its own clients at once; it reports degraded, then catches up', async () => {
    const [onA, onC] = [await connect(a), await connect(c)];
    open.push(onA, onC);
    for (const cl of [onA, onC]) await cl.subscribe('news');
    await c.sdk(APP).trigger('news', 'before', {});
    await onA.waitFor((f) => f.event === 'before', 10_000);

    proxy.hold();
    const silentAt = Date.now();
    const res = await c.sdk(APP).trigger('news', 'held', {});
    const ms = Date.now() - silentAt;
    assert.equal(res.status, 200);
    // Generous: the wait for Redis is bounded by the read deadline (1 s), not by the heartbeat's
    // reconnect (which took 8.8 s).
    assert.ok(ms < 3000, `the trigger was answered in ${ms} ms`);
    // Its own clients get it once the node declares the link dead, within about 8 s of the path
    // going silent (docs/scaling.md): online, a node delivers its own events when Redis echoes
    // them, so they keep the cluster's order. Waited for longer, so a late one fails on its time.
    await onC.waitFor((f) => f.event === 'held', 20_000);
    const deliveredMs = Date.now() - silentAt;
    assert.ok(deliveredMs <= 8000 + 2000, `its own clients got it ${deliveredMs} ms after the path went silent`);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const ready = await fetch(`${c.httpUrl}/ready`, { signal: AbortSignal.timeout(5000) });
      const body = (await ready.json()) as { checks: Record<string, string> };
      if (ready.status === 503) {
        assert.match(body.checks.redis, /^down: /);
        break;
      }
      assert.ok(Date.now() < deadline, 'degraded within 20 s of the path going silent');
      await new Promise((r) => setTimeout(r, 200));
    }

    proxy.release();
    const back = Date.now() + 60_000;
    let n = 0;
    for (;;) {
      const tag = `after-${n++}`;
      await a.sdk(APP).trigger('news', tag, {});
      const arrived = await onC
        .waitFor((f) => f.event === tag, 1000)
        .then(
          () => true,
          () => false,
        );
      if (arrived) break;
      assert.ok(Date.now() < back, 'cross-node delivery back within 60 s of the path coming back');
    }
  });
});
