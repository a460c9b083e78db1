// A durable queue on SQLite: the rows of one queue name in queue_items (queue-rows.ts).
import type { DurableQueue, QueueEntry, QueueName, QueueReads, QueueWrites } from '../durable-queue.ts';
import { payloadOf, QUEUE_COLUMNS, type QueueRow, toQueueItem } from '../queue-rows.ts';
import { role } from '../role.ts';
import { limits } from '../rows.ts';
import type { SqliteDb } from './sqlite-db.ts';

export function sqliteQueue<N extends QueueEntry>(db: SqliteDb, queue: QueueName): DurableQueue<N> {
  return role<QueueReads<N>, QueueWrites<N>>(
    {
      async listFailed(appId, page) {
        const l = limits(page);
        if (!l) return [];
        return db.run(`${queue}.listFailed`, () => {
          const sql = `SELECT ${QUEUE_COLUMNS} FROM queue_items WHERE app_id = ? AND queue = ? AND status = 'failed'
                       ORDER BY id DESC LIMIT ? OFFSET ?`;
          return (db.stmt(sql).all(appId, queue, l.limit, l.offset) as QueueRow[]).map((r) => toQueueItem<N>(r));
        });
      },
      async countPending(appId) {
        return db.run(`${queue}.countPending`, () => {
          const row = db
            .stmt(
              `SELECT COUNT(*) AS n FROM queue_items
               WHERE queue = ? AND status = 'pending' AND (? IS NULL OR app_id = ?)`,
            )
            .get(queue, appId ?? null, appId ?? null) as { n: number };
          return Number(row.n);
        });
      },
    },
    {
      async enqueue(items) {
        if (items.length === 0) return;
        db.run(`${queue}.enqueue`, () =>
          db.tx(() => {
            const insert = db.stmt(
              `INSERT INTO queue_items (queue, app_id, payload, body, created_at, next_attempt_at)
               VALUES (?, ?, ?, ?, ?, ?)`,
            );
            for (const item of items)
              insert.run(queue, item.appId, payloadOf(item), item.body, item.createdAt, item.nextAttemptAt);
          }),
        );
      },
      async claim(now, leaseMs, limit) {
        return db.run(`${queue}.claim`, () => {
          // Nothing due (the usual poll): no write lock taken, so none waited for on the event loop.
          const due = `SELECT 1 FROM queue_items
                       WHERE queue = ? AND status = 'pending' AND next_attempt_at <= ? LIMIT 1`;
          if (!db.stmt(due).get(queue, now)) return [];
          return db.tx(() => {
            const rows = db
              .stmt(
                `SELECT ${QUEUE_COLUMNS} FROM queue_items
                 WHERE queue = ? AND status = 'pending' AND next_attempt_at <= ?
                 ORDER BY next_attempt_at, id LIMIT ?`,
              )
              .all(queue, now, Math.max(0, Math.floor(limit))) as QueueRow[];
            const lease = db.stmt('UPDATE queue_items SET next_attempt_at = ? WHERE id = ?');
            for (const row of rows) lease.run(now + leaseMs, row.id);
            return rows
              .map((r) => ({ ...toQueueItem<N>(r), nextAttemptAt: now + leaseMs }))
              .sort((a, b) => a.id - b.id);
          });
        });
      },
      async done(id) {
        db.run(`${queue}.done`, () => db.stmt('DELETE FROM queue_items WHERE id = ? AND queue = ?').run(id, queue));
      },
      async reschedule(id, nextAttemptAt, error, countAttempt = true) {
        db.run(`${queue}.reschedule`, () =>
          db
            .stmt(
              `UPDATE queue_items SET next_attempt_at = ?, attempts = attempts + ?, last_error = COALESCE(?, last_error)
               WHERE id = ? AND queue = ? AND status = 'pending'`,
            )
            .run(nextAttemptAt, countAttempt ? 1 : 0, error, id, queue),
        );
      },
      async fail(id, error) {
        db.run(`${queue}.fail`, () =>
          db
            .stmt(
              `UPDATE queue_items SET status = 'failed', attempts = attempts + 1, last_error = ?
               WHERE id = ? AND queue = ?`,
            )
            .run(error, id, queue),
        );
      },
      async retry(appId, id, now) {
        return db.run(`${queue}.retry`, () => {
          const sql = `UPDATE queue_items SET status = 'pending', attempts = 0, created_at = ?, next_attempt_at = ?
                       WHERE id = ? AND app_id = ? AND queue = ? AND status = 'failed'`;
          return db.stmt(sql).run(now, now, id, appId, queue).changes > 0;
        });
      },
    },
  );
}
