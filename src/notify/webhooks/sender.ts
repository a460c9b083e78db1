// Sends queued webhooks: claims due deliveries from the store under a lease, POSTs them signed,
// and on failure (non-2xx, timeout, refused) retries with exponential back-off until the app's
// webhookRetryForMs has passed since queueing, then marks the delivery failed.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { AppSource } from '../../apps/app.ts';
import type { DurableQueue, NewWebhookDelivery, WebhookDelivery } from '../../store/durable-queue.ts';
import { backoffMs, QueueWorker, type QueueTuning } from '../queue-worker.ts';
import { webhookSignature } from '../../protocol/signatures.ts';
import { safeUrl } from './format.ts';

export type FailureReason = 'http' | 'timeout' | 'refused' | 'network';

export interface WebhookMetrics {
  delivered(appId: string, seconds: number): void;
  attemptFailed(appId: string, reason: FailureReason): void;
  gaveUp(appId: string): void;
}

export interface SenderOptions extends QueueTuning {
  queue: DurableQueue<NewWebhookDelivery>;
  apps: AppSource;
  logger: Logger;
  metrics?: WebhookMetrics;
}

const MAX_TIMEOUT_MS = 60_000;
const CLOSE_GRACE_MS = 500;

class Failure extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

export class WebhookSender {
  private readonly worker: QueueWorker<WebhookDelivery>;
  /** Requests under way, so a shutdown can abort them and give their leases back. */
  private readonly requests = new Map<number, ClientRequest>();
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 8 });
  private aborting = false;

  constructor(private readonly o: SenderOptions) {
    this.worker = new QueueWorker({
      ...o,
      name: 'webhook',
      attempt: (row) => this.attempt(row).finally(() => this.requests.delete(row.id)),
    });
  }

  start(): void {
    this.worker.poke();
  }

  /** Looks for due deliveries now (after something was queued). */
  poke(): void {
    this.worker.poke();
  }

  private async attempt(row: WebhookDelivery): Promise<void> {
    const { queue, logger } = this.o;
    const app = await this.o.apps.findById(row.appId);
    if (!app) {
      logger.warn({ appId: row.appId, id: row.id }, 'webhook dropped: its app no longer exists');
      return queue.done(row.id);
    }
    const started = process.hrtime.bigint();
    const timeout = Math.min(Math.max(1, app.options.webhookTimeoutMs), MAX_TIMEOUT_MS);
    try {
      await this.post(
        row.url,
        row.body,
        { 'X-Pusher-Key': app.key, 'X-Pusher-Signature': webhookSignature(app.secret, row.body) },
        timeout,
        row.id,
      );
    } catch (err) {
      if (this.aborting) return this.worker.release(row);
      const f = err instanceof Failure ? err : new Failure('network', (err as Error)?.message ?? String(err));
      return this.failed(row, app.options.webhookRetryMs, app.options.webhookRetryForMs, f);
    }
    this.o.metrics?.delivered(row.appId, Number(process.hrtime.bigint() - started) / 1e9);
    await queue.done(row.id);
  }

  private async failed(row: WebhookDelivery, retryMs: number, retryForMs: number, f: Failure): Promise<void> {
    const attempts = row.attempts + 1;
    const now = Date.now();
    const fields = { appId: row.appId, id: row.id, url: safeUrl(row.url), attempts, error: f.message };
    this.o.metrics?.attemptFailed(row.appId, f.reason);
    if (now - row.createdAt >= retryForMs) {
      this.o.metrics?.gaveUp(row.appId);
      this.o.logger.error(fields, 'webhook failed: giving up, kept for GET /apps/{id}/webhooks/failed');
      return this.o.queue.fail(row.id, f.message);
    }
    const delay = backoffMs(retryMs, attempts);
    this.o.logger.warn({ ...fields, retryInMs: delay }, 'webhook attempt failed; will retry');
    await this.o.queue.reschedule(row.id, now + delay, f.message);
    this.worker.wakeAt(now + delay);
  }

  /** One POST; resolves on 2xx, rejects with a Failure otherwise. The response body is ignored. */
  private post(
    url: string,
    body: string,
    headers: Record<string, string>,
    timeoutMs: number,
    id: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        return reject(new Failure('network', 'invalid URL'));
      }
      const https = u.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(u, {
        method: 'POST',
        agent: https ? this.https : this.http,
        headers: {
          ...headers,
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(body),
          'User-Agent': 'pushi-webhooks',
        },
      });
      this.requests.set(id, req);
      const timer = setTimeout(
        () => req.destroy(new Failure('timeout', `no response within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('response', (res) => {
        clearTimeout(timer);
        res.resume();
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new Failure('http', `HTTP ${status}`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (err instanceof Failure) return reject(err);
        if (err.code === 'ECONNREFUSED') return reject(new Failure('refused', `connection refused (${u.host})`));
        if (err.code === 'ETIMEDOUT') return reject(new Failure('timeout', `connect timed out (${u.host})`));
        reject(new Failure('network', err.code ? `${err.code}` : err.message));
      });
      req.end(body);
    });
  }

  /** Deliveries being sent right now. */
  get active(): number {
    return this.worker.active;
  }

  /** Stops claiming; lets in-flight sends finish briefly, then aborts them and gives their leases back. */
  async close(): Promise<void> {
    await this.worker.stop();
    const grace = new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref());
    await Promise.race([this.worker.settled(), grace]);
    this.aborting = true;
    for (const req of this.requests.values()) req.destroy(new Failure('network', 'shutting down'));
    await this.worker.settled();
    this.http.destroy();
    this.https.destroy();
  }
}
