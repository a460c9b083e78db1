// The per-app HTTP API request rate (maxApiRequestsPerSecond; 0 = unlimited): 429 with Retry-After.
// Counted after the signature check, so unsigned requests cannot spend an app's allowance.
import type { App } from '../apps/app.ts';
import { HttpError } from '../protocol/errors.ts';
import type { RateLimiter } from './rate-limiter.ts';

export function apiRateLimit(limiter: RateLimiter, onLimited?: (appId: string) => void) {
  return async (app: App): Promise<void> => {
    const limit = app.options.maxApiRequestsPerSecond;
    if (!(limit > 0)) return;
    const wait = await limiter.hit(`api:${app.id}`, limit);
    if (wait === undefined) return;
    onLimited?.(app.id);
    throw new HttpError(429, `Over the app's API rate limit (${limit} requests per second)`, {
      'Retry-After': String(wait),
    });
  };
}
