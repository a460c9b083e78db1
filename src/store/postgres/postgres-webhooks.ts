// The webhook queue on PostgreSQL (deliveries waiting, leased, failed); PostgresStore delegates to this.
import { limits, toWebhook, WEBHOOK_COLUMNS, type WebhookRow } from '../rows.ts';
import type { NewWebhookDelivery, Page, WebhookDelivery } from '../store.ts';
import type { PostgresAccess } from './postgres-notify.ts';

export class PostgresWebhooks {
  constructor(private readonly db: PostgresAccess) {}

  async enqueue(items: NewWebhookDelivery[]): Promise<void> {
    if (items.length === 0) return;
    // Array parameters: one statement text whatever the batch size (see appendEvents).
    await this.db.query(
      'enqueueWebhooks',
      `INSERT INTO webhook_queue (app_id, url, body, created_at, next_attempt_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[])`,
      [
        items.map((w) => w.appId),
        items.map((w) => w.url),
        items.map((w) => w.body),
        items.map((w) => w.createdAt),
        items.map((w) => w.nextAttemptAt),
      ],
    );
  }

  async claim(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]> {
    // SKIP LOCKED: nodes sharing the database claim disjoint rows without waiting on each other.
    const rows = await this.db.query<WebhookRow>(
      'claimWebhooks',
      `UPDATE webhook_queue SET next_attempt_at = $2 WHERE id IN (
         SELECT id FROM webhook_queue WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING ${WEBHOOK_COLUMNS}`,
      [now, now + leaseMs, Math.max(0, Math.floor(limit))],
    );
    return rows.map(toWebhook).sort((a, b) => a.id - b.id); // RETURNING order is not promised
  }

  async delivered(id: number): Promise<void> {
    await this.db.query('webhookDelivered', 'DELETE FROM webhook_queue WHERE id = $1', [id]);
  }

  async reschedule(id: number, nextAttemptAt: number, error: string | null, countAttempt: boolean): Promise<void> {
    await this.db.query(
      'rescheduleWebhook',
      `UPDATE webhook_queue SET next_attempt_at = $2, attempts = attempts + $3, last_error = COALESCE($4, last_error)
       WHERE id = $1 AND status = 'pending'`,
      [id, nextAttemptAt, countAttempt ? 1 : 0, error],
    );
  }

  async fail(id: number, error: string): Promise<void> {
    await this.db.query(
      'failWebhook',
      `UPDATE webhook_queue SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1`,
      [id, error],
    );
  }

  async listFailed(appId: string, page: Page): Promise<WebhookDelivery[]> {
    const l = limits(page);
    if (!l) return [];
    const rows = await this.db.query<WebhookRow>(
      'listFailedWebhooks',
      `SELECT ${WEBHOOK_COLUMNS} FROM webhook_queue WHERE app_id = $1 AND status = 'failed'
       ORDER BY id DESC LIMIT $2 OFFSET $3`,
      [appId, l.limit, l.offset],
    );
    return rows.map(toWebhook);
  }

  async retry(appId: string, id: number, now: number): Promise<boolean> {
    const rows = await this.db.query(
      'retryWebhook',
      `UPDATE webhook_queue SET status = 'pending', attempts = 0, created_at = $3, next_attempt_at = $3
       WHERE id = $1 AND app_id = $2 AND status = 'failed' RETURNING id`,
      [id, appId, now],
    );
    return rows.length > 0;
  }

  async countPending(appId?: string): Promise<number> {
    const rows = await this.db.query<{ n: string }>(
      'countPendingWebhooks',
      `SELECT COUNT(*) AS n FROM webhook_queue WHERE status = 'pending' AND ($1::text IS NULL OR app_id = $1)`,
      [appId ?? null],
    );
    return Number(rows[0]?.n ?? 0);
  }
}
