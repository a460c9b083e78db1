// The API rate limit shared by every node through Redis (loaded only when PUSHI_REDIS_URL is set).
import type { Redis } from 'ioredis';
import { redisClient, type RedisTarget } from '../cluster/redis/connect.ts';
import type { Logger } from 'pino';
import { LocalRateLimiter, type RateLimiter, retryAfter } from './rate-limiter.ts';

export interface RedisRateLimiterOptions {
  target: RedisTarget;
  prefix: string;
  logger: Logger;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly fallback = new LocalRateLimiter();
  private downLoggedAt = 0;

  constructor(private readonly o: RedisRateLimiterOptions) {
    // No offline queue: while disconnected a command fails at once and we count locally.
    this.redis = redisClient(o.target, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    this.redis.on('error', (err) => this.down(err));
  }

  /** Resolves once connected, or after `maxWaitMs` (counting stays local until connected). */
  ready(maxWaitMs = Infinity): Promise<void> {
    if (this.redis.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.redis.off('ready', done);
        resolve();
      };
      const timer = Number.isFinite(maxWaitMs) ? setTimeout(done, maxWaitMs) : undefined;
      this.redis.once('ready', done);
    });
  }

  async hit(key: string, limit: number, now = Date.now()): Promise<number | undefined> {
    if (this.redis.status !== 'ready') return this.fallback.hit(key, limit, now);
    const window = Math.floor(now / 1000);
    const k = `${this.o.prefix}ratelimit:${key}:${window}`; // one key: one slot on a cluster too
    try {
      const res = await this.redis.multi().incr(k).pexpire(k, 2000).exec();
      const [err, count] = res?.[0] ?? [new Error('empty reply'), 0];
      if (err) throw err;
      return Number(count) > limit ? retryAfter(now) : undefined;
    } catch (err) {
      this.down(err);
      return this.fallback.hit(key, limit, now);
    }
  }

  private down(err: unknown): void {
    const now = Date.now();
    if (now - this.downLoggedAt < 10_000) return;
    this.downLoggedAt = now;
    this.o.logger.warn(
      { err: (err as Error)?.message ?? String(err) },
      'Redis unavailable for rate limits; counting per node meanwhile',
    );
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }
}
