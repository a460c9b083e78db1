// The webhook queue on SQLite (deliveries waiting, leased, failed); SqliteStore delegates to this.
import { limits, toWebhook, WEBHOOK_COLUMNS, type WebhookRow } from '../rows.ts';
import type { NewWebhookDelivery, Page, WebhookDelivery } from '../store.ts';
import type { SqliteAccess } from './sqlite-notify.ts';

export class SqliteWebhooks {
  constructor(private readonly db: SqliteAccess) {}

  enqueue(items: NewWebhookDelivery[]): void {
    if (items.length === 0) return;
    this.db.run('enqueueWebhooks', () =>
      this.db.tx(() => {
        const insert = this.db.stmt(
          'INSERT INTO webhook_queue (app_id, url, body, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)',
        );
        for (const w of items) insert.run(w.appId, w.url, w.body, w.createdAt, w.nextAttemptAt);
      }),
    );
  }

  claim(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
    return this.db.run('claimWebhooks', () => {
      // Nothing due (the usual poll): no write lock taken, so none waited for on the event loop.
      const due = `SELECT 1 FROM webhook_queue WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1`;
      if (!this.db.stmt(due).get(now)) return [];
      return this.db.tx(() => {
        const rows = this.db
          .stmt(
            `SELECT ${WEBHOOK_COLUMNS} FROM webhook_queue WHERE status = 'pending' AND next_attempt_at <= ?
             ORDER BY next_attempt_at, id LIMIT ?`,
          )
          .all(now, Math.max(0, Math.floor(limit))) as WebhookRow[];
        const lease = this.db.stmt('UPDATE webhook_queue SET next_attempt_at = ? WHERE id = ?');
        for (const row of rows) lease.run(now + leaseMs, row.id);
        return rows.map((r) => ({ ...toWebhook(r), nextAttemptAt: now + leaseMs })).sort((a, b) => a.id - b.id);
      });
    });
  }

  delivered(id: number): void {
    this.db.run('webhookDelivered', () => this.db.stmt('DELETE FROM webhook_queue WHERE id = ?').run(id));
  }

  reschedule(id: number, nextAttemptAt: number, error: string | null, countAttempt: boolean): void {
    this.db.run('rescheduleWebhook', () =>
      this.db
        .stmt(
          `UPDATE webhook_queue SET next_attempt_at = ?, attempts = attempts + ?, last_error = COALESCE(?, last_error)
           WHERE id = ? AND status = 'pending'`,
        )
        .run(nextAttemptAt, countAttempt ? 1 : 0, error, id),
    );
  }

  fail(id: number, error: string): void {
    this.db.run('failWebhook', () =>
      this.db
        .stmt(`UPDATE webhook_queue SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?`)
        .run(error, id),
    );
  }

  listFailed(appId: string, page: Page): WebhookDelivery[] {
    const l = limits(page);
    if (!l) return [];
    return this.db.run('listFailedWebhooks', () => {
      const sql = `SELECT ${WEBHOOK_COLUMNS} FROM webhook_queue WHERE app_id = ? AND status = 'failed'
                   ORDER BY id DESC LIMIT ? OFFSET ?`;
      return (this.db.stmt(sql).all(appId, l.limit, l.offset) as WebhookRow[]).map(toWebhook);
    });
  }

  retry(appId: string, id: number, now: number): boolean {
    return this.db.run('retryWebhook', () => {
      const sql = `UPDATE webhook_queue SET status = 'pending', attempts = 0, created_at = ?, next_attempt_at = ?
                   WHERE id = ? AND app_id = ? AND status = 'failed'`;
      return this.db.stmt(sql).run(now, now, id, appId).changes > 0;
    });
  }

  countPending(appId?: string): number {
    return this.db.run('countPendingWebhooks', () => {
      const row = this.db
        .stmt(`SELECT COUNT(*) AS n FROM webhook_queue WHERE status = 'pending' AND (? IS NULL OR app_id = ?)`)
        .get(appId ?? null, appId ?? null) as { n: number };
      return Number(row.n);
    });
  }
}
