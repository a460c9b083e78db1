// Row <-> item mapping for the durable queue table (queue_items), shared by both dialects. The
// fields every item has are columns (the body verbatim: it is most of an item, and JSON would escape
// it); the rest (a webhook's url, a notification's kind, address and target) is one JSON column, so
// one table and one set of statements serve every queue.
import type { QueueEntry, QueueItem } from './durable-queue.ts';
import { jsonObject } from './rows.ts';

export interface QueueRow {
  id: number | string;
  app_id: string;
  payload: string;
  body: string;
  status: string;
  attempts: number | string;
  last_error: string | null;
  created_at: number | string;
  next_attempt_at: number | string;
}

export const QUEUE_COLUMNS = 'id, app_id, payload, body, status, attempts, last_error, created_at, next_attempt_at';

/** The item's other fields (not the columns) as the payload column's JSON. */
export function payloadOf(item: QueueEntry): string {
  const job: Record<string, unknown> = { ...item };
  delete job.appId;
  delete job.body;
  delete job.createdAt;
  delete job.nextAttemptAt;
  return JSON.stringify(job);
}

export function toQueueItem<N extends QueueEntry>(row: QueueRow): QueueItem<N> {
  const entry: QueueEntry = {
    appId: row.app_id,
    body: row.body,
    createdAt: Number(row.created_at),
    nextAttemptAt: Number(row.next_attempt_at),
  };
  return {
    ...jsonObject(row.payload),
    ...entry,
    id: Number(row.id),
    status: row.status === 'failed' ? 'failed' : 'pending',
    attempts: Number(row.attempts),
    lastError: row.last_error,
  } as QueueItem<N>; // the payload is what enqueue wrote for this queue's item type
}
