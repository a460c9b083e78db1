// Sends queued webhooks: claims due deliveries from the store under a lease, POSTs them signed,
// and on failure (non-2xx, timeout, refused) retries with exponential back-off until the app's
// webhookRetryForMs has passed since queueing, then marks the delivery failed.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import type { AppSource } from '../../apps/app.ts';
import type { Store, WebhookDelivery } from '../../store/store.ts';
import { safeUrl, signBody } from './format.ts';

export type FailureReason = 'http' | 'timeout' | 'refused' | 'network';

export interface WebhookMetrics {
  delivered(appId: string, seconds: number): void;
  attemptFailed(appId: string, reason: FailureReason): void;
  gaveUp(appId: string): void;
}

export interface SenderOptions {
  store: Store;
  apps: AppSource;
  logger: Logger;
  metrics?: WebhookMetrics;
  /** Deliveries in flight at once. Default 16. */
  concurrency?: number;
  /** How often the queue is polled for deliveries other nodes queued or crashed senders left. */
  pollMs?: number;
  /** How long a claim holds a delivery; must outlast any timeout. Default 2 minutes. */
  leaseMs?: number;
}

const MAX_DELAY_MS = 60_000;
const MAX_TIMEOUT_MS = 60_000;
const CLOSE_GRACE_MS = 500;

class Failure extends Error {
  constructor(readonly reason: FailureReason, message: string) {
    super(message);
  }
}

export class WebhookSender {
  private readonly concurrency: number;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly inFlight = new Map<number, { req?: ClientRequest; done: Promise<void> }>();
  private readonly http = new HttpAgent({ keepAlive: true, maxSockets: 8 });
  private readonly https = new HttpsAgent({ keepAlive: true, maxSockets: 8 });
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private ticking = false;
  private again = false;
  private closing = false;
  private aborting = false;
  private ticked: Promise<void> = Promise.resolve();
  private storeErrorLoggedAt = 0;

  constructor(private readonly o: SenderOptions) {
    this.concurrency = o.concurrency ?? 16;
    this.pollMs = o.pollMs ?? 1000;
    this.leaseMs = o.leaseMs ?? 120_000;
  }

  start(): void {
    this.poke();
  }

  /** Looks for due deliveries now (after something was queued). */
  poke(): void {
    this.wakeAt(Date.now());
  }

  private wakeAt(at: number): void {
    if (this.closing || at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timerAt = Infinity;
      if (this.ticking) this.again = true; // the running pass goes round once more
      else this.ticked = this.tick();
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      do {
        this.again = false;
        const room = this.concurrency - this.inFlight.size;
        if (room <= 0 || this.closing) break;
        const rows = await this.o.store.claimWebhooks(Date.now(), this.leaseMs, room);
        for (const row of rows) this.launch(row);
        if (rows.length === room) this.again = true;
      } while (this.again && !this.closing);
    } catch (err) {
      const now = Date.now();
      if (now - this.storeErrorLoggedAt > 10_000) {
        this.storeErrorLoggedAt = now;
        this.o.logger.error({ err: (err as Error)?.message ?? String(err) }, 'webhook queue unavailable');
      }
    } finally {
      this.ticking = false;
    }
    this.wakeAt(Date.now() + this.pollMs);
  }

  private launch(row: WebhookDelivery): void {
    const slot: { req?: ClientRequest; done: Promise<void> } = { done: Promise.resolve() };
    this.inFlight.set(row.id, slot);
    // Claimed while closing: give the lease back at once.
    const work = this.closing ? this.o.store.rescheduleWebhook(row.id, Date.now(), null, false) : this.attempt(row, slot);
    slot.done = work
      .catch((err) => this.o.logger.error({ err: (err as Error)?.message ?? String(err), appId: row.appId }, 'webhook bookkeeping failed'))
      .finally(() => {
        this.inFlight.delete(row.id);
        if (this.inFlight.size === this.concurrency - 1) this.poke(); // there was no room before
      });
  }

  private async attempt(row: WebhookDelivery, slot: { req?: ClientRequest }): Promise<void> {
    const { store, logger } = this.o;
    const app = await this.o.apps.findById(row.appId);
    if (!app) {
      logger.warn({ appId: row.appId, id: row.id }, 'webhook dropped: its app no longer exists');
      return store.webhookDelivered(row.id);
    }
    const started = process.hrtime.bigint();
    const timeout = Math.min(Math.max(1, app.options.webhookTimeoutMs), MAX_TIMEOUT_MS);
    try {
      await this.post(row.url, row.body, { 'X-Pusher-Key': app.key, 'X-Pusher-Signature': signBody(app.secret, row.body) }, timeout, slot);
    } catch (err) {
      if (this.aborting) return store.rescheduleWebhook(row.id, Date.now(), null, false); // give the lease back
      const f = err instanceof Failure ? err : new Failure('network', (err as Error)?.message ?? String(err));
      return this.failed(row, app.options.webhookRetryMs, app.options.webhookRetryForMs, f);
    }
    this.o.metrics?.delivered(row.appId, Number(process.hrtime.bigint() - started) / 1e9);
    await store.webhookDelivered(row.id);
  }

  private async failed(row: WebhookDelivery, retryMs: number, retryForMs: number, f: Failure): Promise<void> {
    const attempts = row.attempts + 1;
    const now = Date.now();
    const fields = { appId: row.appId, id: row.id, url: safeUrl(row.url), attempts, error: f.message };
    this.o.metrics?.attemptFailed(row.appId, f.reason);
    if (now - row.createdAt >= retryForMs) {
      this.o.metrics?.gaveUp(row.appId);
      this.o.logger.error(fields, 'webhook failed: giving up, kept for GET /apps/{id}/webhooks/failed');
      return this.o.store.failWebhook(row.id, f.message);
    }
    const base = Math.min(Math.max(1, retryMs) * 2 ** Math.min(attempts - 1, 30), MAX_DELAY_MS);
    const delay = Math.round(base * (1 + Math.random() * 0.1)); // spread retries of one outage
    this.o.logger.warn({ ...fields, retryInMs: delay }, 'webhook attempt failed; will retry');
    await this.o.store.rescheduleWebhook(row.id, now + delay, f.message);
    this.wakeAt(now + delay);
  }

  /** One POST; resolves on 2xx, rejects with a Failure otherwise. The response body is ignored. */
  private post(url: string, body: string, headers: Record<string, string>, timeoutMs: number, slot: { req?: ClientRequest }): Promise<void> {
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
        headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'User-Agent': 'pushi-webhooks' },
      });
      slot.req = req;
      const timer = setTimeout(() => req.destroy(new Failure('timeout', `no response within ${timeoutMs} ms`)), timeoutMs);
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
    return this.inFlight.size;
  }

  /** Stops claiming; lets in-flight sends finish briefly, then aborts them and gives their leases back. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    await this.ticked;
    const all = () => Promise.allSettled([...this.inFlight.values()].map((s) => s.done));
    const grace = new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref());
    await Promise.race([all(), grace]);
    this.aborting = true;
    for (const slot of this.inFlight.values()) slot.req?.destroy(new Failure('network', 'shutting down'));
    await all();
    this.http.destroy();
    this.https.destroy();
  }
}
