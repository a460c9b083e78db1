// PUSHI_REDIS_URL names one Redis or a Redis Cluster's seeds; the adapter connects to what it names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config.ts';
import { redisTarget } from '../../src/cluster/redis/connect.ts';

test('one URL is one Redis; several seeds, or PUSHI_REDIS_CLUSTER=1, a Redis Cluster', () => {
  const one = loadConfig({ PUSHI_REDIS_URL: 'redis://10.0.0.1:6379' });
  assert.equal(one.redisCluster, false);
  assert.deepEqual(redisTarget(one.redisUrl!, one.redisCluster), { urls: ['redis://10.0.0.1:6379'], cluster: false });

  const seeds = loadConfig({ PUSHI_REDIS_URL: 'redis://10.0.0.1:7000, redis://10.0.0.2:7000' });
  assert.equal(seeds.redisCluster, true);
  assert.deepEqual(redisTarget(seeds.redisUrl!, seeds.redisCluster).urls, [
    'redis://10.0.0.1:7000',
    'redis://10.0.0.2:7000',
  ]);

  const flagged = loadConfig({ PUSHI_REDIS_URL: 'rediss://cfg.example:6379', PUSHI_REDIS_CLUSTER: '1' });
  assert.equal(flagged.redisCluster, true);
});

test('a seed that is not a redis:// URL is refused, naming it', () => {
  assert.throws(
    () => loadConfig({ PUSHI_REDIS_URL: 'redis://10.0.0.1:7000,10.0.0.2:7000' }),
    /PUSHI_REDIS_URL must be a redis:\/\/ URL \(or a Redis Cluster's seeds separated by commas\), got "10\.0\.0\.2:7000"/,
  );
  assert.throws(() => loadConfig({ PUSHI_REDIS_URL: 'redis://' }), /got "redis:\/\/"/);
});
