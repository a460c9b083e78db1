// The local Redis Cluster the cluster tests and the bench start (scripts/redis-cluster.mjs): three
// masters that split the slots, sharded pub/sub across them through ioredis' Cluster client, a
// master restarted on its port and nodes.conf with clients resuming, and nothing left after stop().
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import { redisClusterForFile, redisClusterSkipReason } from '../helpers/redis-cluster.ts';
import { startRedisCluster } from '../../scripts/redis-cluster.mjs';
import { waitUntil } from './helpers.ts';

const skip = redisClusterSkipReason();
const T = 20_000;

describe('a local 3-master Redis Cluster', { skip, timeout: 120_000 }, () => {
  const clients: (Redis | Cluster)[] = [];
  // Registered before the cluster's own `after`, so clients are gone before the servers are.
  after(() => clients.forEach((c) => c.disconnect()));
  const rc = redisClusterForFile(3);
  const keep = <C extends Redis | Cluster>(c: C): C => (clients.push(c), c.on('error', () => undefined), c);
  const direct = (port: number) => keep(new Redis({ host: '127.0.0.1', port }));
  const cluster = (opts = {}) => keep(new Cluster(rc.cluster.seeds, opts));

  /** The port of the master that serves `key`'s slot, from CLUSTER SLOTS. */
  async function ownerOf(key: string): Promise<number> {
    const seed = direct(rc.cluster.seeds[0].port);
    const slot = (await seed.call('CLUSTER', 'KEYSLOT', key)) as number;
    const ranges = (await seed.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    assert.ok(range, `slot ${slot} is served by a master`);
    return range[2][1];
  }

  /** One name per master, `prefix<n>`, each hashing to a slot of that master (in seeds order). */
  async function onePerMaster(prefix: string): Promise<string[]> {
    const found = new Map<number, string>();
    for (let n = 0; found.size < rc.cluster.seeds.length; n++) {
      assert.ok(n < 1000, 'names spread over every master');
      const port = await ownerOf(`${prefix}${n}`);
      if (!found.has(port)) found.set(port, `${prefix}${n}`);
    }
    return rc.cluster.seeds.map((s) => found.get(s.port)!);
  }

  test('the masters split the 16384 slots, and a key is stored on the master of its slot', async () => {
    const ranges = (await direct(rc.cluster.seeds[0].port).call('CLUSTER', 'SLOTS')) as [
      number,
      number,
      [string, number],
    ][];
    const ports = new Set(ranges.map((r) => r[2][1]));
    assert.deepEqual([...ports].sort(), rc.cluster.seeds.map((s) => s.port).sort());
    assert.equal(
      ranges.reduce((n, [from, to]) => n + to - from + 1, 0),
      16384,
    );

    const keys = await onePerMaster('key-');
    const c = cluster();
    for (const k of keys) await c.set(k, `value of ${k}`);
    for (const [i, s] of rc.cluster.seeds.entries()) {
      const here = direct(s.port);
      assert.deepEqual(await here.keys('*'), [keys[i]], `master ${i} holds exactly its own key`);
      assert.equal(await here.get(keys[i]), `value of ${keys[i]}`);
    }
  });

  test('a sharded subscriber gets what another client SPUBLISHes, on every master', async () => {
    const channels = await onePerMaster('chan-');
    const sub = cluster({ shardedSubscribers: true });
    const got: string[] = [];
    sub.on('smessage', (channel: string, message: string) => got.push(`${channel} ${message}`));
    for (const ch of channels) await sub.ssubscribe(ch);
    const pub = cluster();
    for (const ch of channels) assert.equal(await pub.spublish(ch, 'hello'), 1, `one subscriber on ${ch}`);
    await waitUntil(() => got.length === channels.length, T, 'every SPUBLISH delivered');
    assert.deepEqual(got.sort(), channels.map((ch) => `${ch} hello`).sort());
  });

  test('restartMaster(0): the cluster is ok again on every master, and clients resume', async () => {
    const [key] = await onePerMaster('restart-key-');
    const [channel] = await onePerMaster('restart-chan-');
    const c = cluster();
    const sub = cluster({ shardedSubscribers: true });
    const got: string[] = [];
    sub.on('smessage', (_channel: string, message: string) => got.push(message));
    await sub.ssubscribe(channel);
    await c.set(key, 'before');
    const pid = rc.cluster.pids()[0];

    await rc.cluster.restartMaster(0);
    assert.notEqual(rc.cluster.pids()[0], pid, 'master 0 is a new process');
    for (const s of rc.cluster.seeds) {
      const info = String(await direct(s.port).call('CLUSTER', 'INFO'));
      assert.match(info, /^cluster_state:ok/m, `master on ${s.port} is ok`);
    }
    // No persistence: the restarted master is empty, and takes writes again.
    await c.set(key, 'after');
    assert.equal(await c.get(key), 'after');
    // Messages published before the subscriber is back are lost (pub/sub), so publish until one arrives.
    let n = 0;
    await waitUntil(
      async () => {
        await c.spublish(channel, `m${n++}`);
        return got.length > 0;
      },
      T,
      'the sharded subscriber receives again after the restart',
    );
  });

  test('stop() ends every redis-server and removes the temp directory', async () => {
    const { pids, dir, seeds } = { ...rc.cluster, pids: rc.cluster.pids() };
    clients.forEach((c) => c.disconnect());
    assert.ok(existsSync(dir));
    await rc.cluster.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `redis-server ${pid} ended`);
    assert.equal(existsSync(dir), false, `${dir} removed`);
    for (const s of seeds) {
      const refused = await new Promise<boolean>((resolve) => {
        const sock = connect(s.port, s.host, () => (sock.destroy(), resolve(false)));
        sock.on('error', () => resolve(true));
      });
      assert.ok(refused, `nothing listens on ${s.port}`);
    }
  });
});

describe('without redis-server on PATH', () => {
  test('the suite is skipped with the reason, and fails under CI=true', () => {
    assert.match(redisClusterSkipReason({ PATH: '/nonexistent' })!, /redis-server and redis-cli not found on PATH/);
    assert.throws(() => redisClusterSkipReason({ PATH: '/nonexistent', CI: 'true' }), /CI must run/);
  });

  test('fewer than 3 masters is refused before anything starts', async () => {
    await assert.rejects(startRedisCluster({ masters: 2 }), /at least 3 masters/);
  });
});
