// Types for redis-cluster.mjs (tests import it; the bench and the CLI run it as plain JavaScript).
export interface RedisCluster {
  /** One { host, port } per master, in start order (restartMaster's index). */
  seeds: { host: string; port: number }[];
  /** The seeds as comma-separated redis:// URLs (what PUSHI_REDIS_URL takes). */
  url: string;
  /** The temp directory with each master's nodes.conf and redis.log; removed by stop(). */
  dir: string;
  /** The running redis-server PIDs, one per master. */
  pids(): number[];
  /** Stops master i and starts it on its port with its nodes.conf; resolves once the cluster is ok again. */
  restartMaster(i: number): Promise<void>;
  /** Stops every master and removes the temp directory (idempotent). */
  stop(): Promise<void>;
}
export declare function startRedisCluster(opts?: { masters?: number; timeoutMs?: number }): Promise<RedisCluster>;
export declare function redisClusterMissing(env?: NodeJS.ProcessEnv): string | undefined;
export interface RedisServer {
  host: string;
  port: number;
  /** redis://host:port */
  url: string;
  pid: number;
  /** Stops the server and removes its temp directory (idempotent). */
  stop(): Promise<void>;
}
export declare function startRedisServer(opts?: { timeoutMs?: number }): Promise<RedisServer>;
