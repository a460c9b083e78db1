// One HTTP(S) request with a deadline, for Web Push services and channel webhooks.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Network failures (refused, reset, timeout): worth another try. */
export class NetworkError extends Error {}

export class HttpClient {
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private readonly https: HttpsAgent;
  private readonly inFlight = new Set<{ destroy(err: Error): void }>();

  /** `ca`: extra trusted certificates (tests with self-signed servers). */
  constructor(ca?: string | Buffer) {
    this.https = new HttpsAgent({ keepAlive: true, maxSockets: 8, ...(ca ? { ca } : {}) });
  }

  send(
    url: string,
    o: { method?: string; headers: Record<string, string | number>; body?: Buffer | string; timeoutMs: number },
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      if (!URL.canParse(url)) return reject(new NetworkError('invalid URL'));
      const u = new URL(url);
      const https = u.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(u, {
        method: o.method ?? 'POST',
        agent: https ? this.https : this.http,
        headers: o.headers,
      });
      this.inFlight.add(req);
      const timer = setTimeout(
        () => req.destroy(new NetworkError(`no response within ${o.timeoutMs} ms`)),
        o.timeoutMs,
      );
      const done = () => {
        clearTimeout(timer);
        this.inFlight.delete(req);
      };
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= 8192) chunks.push(c); // only the start matters (error reasons)
        });
        res.on('end', () => {
          done();
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (err) => {
          done();
          reject(new NetworkError(err.message));
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        done();
        reject(err instanceof NetworkError ? err : new NetworkError(err.code ?? err.message));
      });
      req.end(o.body);
    });
  }

  close(): void {
    for (const req of this.inFlight) req.destroy(new NetworkError('shutting down'));
    this.http.destroy();
    this.https.destroy();
  }
}

/** Retry-After (seconds or a date) in ms, if present and sane. */
export function retryAfterMs(h: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) * 1000 : Date.parse(v) - now;
  return Number.isFinite(ms) && ms >= 0 ? Math.min(ms, 3_600_000) : undefined;
}
