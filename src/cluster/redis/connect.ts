// Which Redis a deployment names, and a client for it: one server, or a Redis Cluster when
// PUSHI_REDIS_URL lists several seeds (comma-separated) or PUSHI_REDIS_CLUSTER=1 is set.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisTarget {
  /** redis:// or rediss:// URLs: one server, or the seeds of a cluster. */
  urls: string[];
  cluster: boolean;
}

export function redisTarget(url: string, cluster = false): RedisTarget {
  const urls = url
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  return { urls, cluster: cluster || urls.length > 1 };
}

/**
 * A client for the target. A Cluster is returned typed as Redis: it takes the same commands,
 * routed to the shard owning each command's first key (callers keep every command to one slot).
 */
export function redisClient(target: RedisTarget, options: RedisOptions, sharded = false): Redis {
  if (!target.cluster) return new Redis(target.urls[0], options);
  const seeds = target.urls.map((u) => {
    const url = new URL(u);
    return { host: url.hostname, port: Number(url.port || 6379) };
  });
  const first = new URL(target.urls[0]);
  const { lazyConnect, enableOfflineQueue, retryStrategy: _single, ...rest } = options;
  const cluster = new Cluster(seeds, {
    lazyConnect,
    enableOfflineQueue,
    shardedSubscribers: sharded,
    clusterRetryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    redisOptions: {
      ...rest,
      username: first.username ? decodeURIComponent(first.username) : undefined,
      password: first.password ? decodeURIComponent(first.password) : undefined,
      tls: first.protocol === 'rediss:' ? {} : undefined,
    },
  });
  return cluster as unknown as Redis;
}
