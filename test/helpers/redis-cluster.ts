// A local 3-master Redis Cluster per test file (scripts/redis-cluster.mjs): started in `before`,
// stopped and removed in `after`. Without redis-server the suite is skipped with the reason printed,
// except under CI=true, where that is a failure (CI must run the Redis Cluster tests).
//   const skip = redisClusterSkipReason();
//   describe('…', { skip }, () => { const rc = redisClusterForFile(); … rc.cluster.url … });
import { after, before } from 'node:test';
import { type RedisCluster, redisClusterMissing, startRedisCluster } from '../../scripts/redis-cluster.mjs';

/** Undefined when a local cluster can be started; otherwise why the suite is skipped (throws under CI=true). */
export function redisClusterSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = redisClusterMissing(env);
  if (!missing) return undefined;
  if (env.CI === 'true') throw new Error(`${missing}; CI must run the Redis Cluster tests (install redis-server)`);
  return `${missing}: skipping Redis Cluster tests`;
}

/** Call inside a describe(): one cluster for the suite, read `.cluster` in tests and hooks after `before`. */
export function redisClusterForFile(masters = 3): { readonly cluster: RedisCluster } {
  let cluster: RedisCluster | undefined;
  before(async () => {
    cluster = await startRedisCluster({ masters });
  });
  after(async () => {
    await cluster?.stop();
  });
  return {
    get cluster() {
      if (!cluster) throw new Error('the Redis Cluster is not started (use it in tests or hooks after before)');
      return cluster;
    },
  };
}
