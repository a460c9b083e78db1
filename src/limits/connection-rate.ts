// Optional per-IP WebSocket connection rate (per node): past it the upgrade is refused with 4100
// (over capacity: Pusher clients back off, then retry).
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../protocol/errors.ts';
import { LocalRateLimiter } from './rate-limiter.ts';

export interface ConnectionRateOptions {
  /** New connections per second from one IP address. */
  perSecond: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy you trust). */
  trustForwardedFor?: boolean;
  onRefused?: (appKey: string, ip: string) => void;
}

export function clientIp(req: IncomingMessage, trustForwardedFor = false): string {
  const forwarded = trustForwardedFor ? req.headers['x-forwarded-for'] : undefined;
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || req.socket.remoteAddress || 'unknown';
}

/** An `admit` hook for WsTransport. */
export function connectionRateAdmit(o: ConnectionRateOptions) {
  const limiter = new LocalRateLimiter();
  return (req: IncomingMessage, appKey: string): { code: number; message: string } | undefined => {
    const ip = clientIp(req, o.trustForwardedFor);
    if (limiter.hit(ip, o.perSecond) === undefined) return undefined;
    o.onRefused?.(appKey, ip);
    return {
      code: ErrorCode.OVER_CAPACITY,
      message: `Too many connections from this address (${o.perSecond} per second); retry later`,
    };
  };
}
