// Fixed one-second windows counted per key: in memory on one node, in Redis across a cluster.
// The Redis limiter falls back to local counting while Redis is unreachable (fail open, per node).
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface RateLimiter {
  /** Counts one hit against `limit` per second; undefined when allowed, else seconds to wait. */
  hit(key: string, limit: number, now?: number): Promise<number | undefined> | number | undefined;
  close(): Promise<void>;
}

const retryAfter = (now: number) => Math.max(1, Math.ceil((1000 - (now % 1000)) / 1000));

export class LocalRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { window: number; count: number }>();

  hit(key: string, limit: number, now = Date.now()): number | undefined {
    const window = Math.floor(now / 1000);
    let w = this.windows.get(key);
    if (!w || w.window !== window) {
      if (!w && this.windows.size >= 50_000) this.sweep(window); // keys may be attacker-chosen (IPs)
      w = { window, count: 0 };
      this.windows.set(key, w);
    }
    return ++w.count > limit ? retryAfter(now) : undefined;
  }

  private sweep(window: number): void {
    for (const [k, w] of this.windows) if (w.window < window) this.windows.delete(k);
    if (this.windows.size >= 50_000) this.windows.clear();
  }

  async close(): Promise<void> {
    this.windows.clear();
  }
}

export interface RedisRateLimiterOptions {
  url: string;
  prefix: string;
  logger: Logger;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly fallback = new LocalRateLimiter();
  private downLoggedAt = 0;

  constructor(private readonly o: RedisRateLimiterOptions) {
    // No offline queue: while disconnected a command fails at once and we count locally.
    this.redis = new Redis(o.url, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
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
    const k = `${this.o.prefix}ratelimit:${key}:${window}`;
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
    this.o.logger.warn({ err: (err as Error)?.message ?? String(err) }, 'Redis unavailable for rate limits; counting per node meanwhile');
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.fallback.close();
  }
}
