// Fixed one-second windows counted per key: in memory on one node, in Redis across a cluster.
// The Redis limiter falls back to local counting while Redis is unreachable (fail open, per node).

export interface RateLimiter {
  /** Counts one hit against `limit` per second; undefined when allowed, else seconds to wait. */
  hit(key: string, limit: number, now?: number): Promise<number | undefined> | number | undefined;
  close(): Promise<void>;
}

export const retryAfter = (now: number) => Math.max(1, Math.ceil((1000 - (now % 1000)) / 1000));

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
