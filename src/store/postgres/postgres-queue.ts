// A durable queue on PostgreSQL: the rows of one queue name in queue_items (queue-rows.ts).
import type { DurableQueue, QueueEntry, QueueName, QueueReads, QueueWrites } from '../durable-queue.ts';
import { payloadOf, QUEUE_COLUMNS, type QueueRow, toQueueItem } from '../queue-rows.ts';
import { role } from '../role.ts';
import { limits } from '../rows.ts';
import type { PostgresDb } from './postgres-db.ts';

export function postgresQueue<N extends QueueEntry>(db: PostgresDb, queue: QueueName): DurableQueue<N> {
  return role<QueueReads<N>, QueueWrites<N>>(
    {
      async listFailed(appId, page) {
        const l = limits(page);
        if (!l) return [];
        const rows = await db.query<QueueRow>(
          `${queue}.listFailed`,
          `SELECT ${QUEUE_COLUMNS} FROM queue_items WHERE app_id = $1 AND queue = $2 AND status = 'failed'
           ORDER BY id DESC LIMIT $3 OFFSET $4`,
          [appId, queue, l.limit, l.offset],
        );
        return rows.map((r) => toQueueItem<N>(r));
      },
      async countPending(appId) {
        const rows = await db.query<{ n: string }>(
          `${queue}.countPending`,
          `SELECT COUNT(*) AS n FROM queue_items
           WHERE queue = $1 AND status = 'pending' AND ($2::text IS NULL OR app_id = $2)`,
          [queue, appId ?? null],
        );
        return Number(rows[0]?.n ?? 0);
      },
    },
    {
      async enqueue(items) {
        if (items.length === 0) return;
        // Array parameters: one statement text whatever the batch size (see the event log's append).
        await db.query(
          `${queue}.enqueue`,
          `INSERT INTO queue_items (queue, app_id, payload, body, created_at, next_attempt_at)
           SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])`,
          [
            queue,
            items.map((item) => item.appId),
            items.map(payloadOf),
            items.map((item) => item.body),
            items.map((item) => item.createdAt),
            items.map((item) => item.nextAttemptAt),
          ],
        );
      },
      async claim(now, leaseMs, limit) {
        // SKIP LOCKED: nodes sharing the database claim disjoint rows without waiting on each other.
        const rows = await db.query<QueueRow>(
          `${queue}.claim`,
          `UPDATE queue_items SET next_attempt_at = $3 WHERE id IN (
             SELECT id FROM queue_items WHERE queue = $1 AND status = 'pending' AND next_attempt_at <= $2
             ORDER BY next_attempt_at, id LIMIT $4 FOR UPDATE SKIP LOCKED)
           RETURNING ${QUEUE_COLUMNS}`,
          [queue, now, now + leaseMs, Math.max(0, Math.floor(limit))],
        );
        return rows.map((r) => toQueueItem<N>(r)).sort((a, b) => a.id - b.id); // RETURNING order is not promised
      },
      async done(id) {
        await db.query(`${queue}.done`, 'DELETE FROM queue_items WHERE id = $1 AND queue = $2', [id, queue]);
      },
      async reschedule(id, nextAttemptAt, error, countAttempt = true) {
        await db.query(
          `${queue}.reschedule`,
          `UPDATE queue_items SET next_attempt_at = $3, attempts = attempts + $4, last_error = COALESCE($5, last_error)
           WHERE id = $1 AND queue = $2 AND status = 'pending'`,
          [id, queue, nextAttemptAt, countAttempt ? 1 : 0, error],
        );
      },
      async fail(id, error) {
        await db.query(
          `${queue}.fail`,
          `UPDATE queue_items SET status = 'failed', attempts = attempts + 1, last_error = $3
           WHERE id = $1 AND queue = $2`,
          [id, queue, error],
        );
      },
      async retry(appId, id, now) {
        const rows = await db.query(
          `${queue}.retry`,
          `UPDATE queue_items SET status = 'pending', attempts = 0, created_at = $4, next_attempt_at = $4
           WHERE id = $1 AND app_id = $2 AND queue = $3 AND status = 'failed' RETURNING id`,
          [id, appId, queue, now],
        );
        return rows.length > 0;
      },
    },
  );
}
