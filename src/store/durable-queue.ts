// The durable queue role: work stored before it is attempted, leased to one sender at a time, so
// several nodes can share it and a crashed sender's items come back. One implementation serves every
// queue (webhook deliveries, notifications); a queue's items differ only in their job fields.
import type { Page } from './event-log.ts';

/** Which queue an item belongs to (the `queue` column). */
export type QueueName = 'webhooks' | 'notifications';

/** What every queued item has; the rest of an item (where and how to send it) is stored as JSON. */
export interface QueueEntry {
  appId: string;
  /** The message to send, stored verbatim. */
  body: string;
  createdAt: number; // ms since epoch
  /** When to try first (usually createdAt). */
  nextAttemptAt: number;
}

/** A stored item: the job as enqueued plus the queue's bookkeeping. */
export type QueueItem<N extends QueueEntry> = N & {
  id: number;
  /** Failed attempts so far. */
  attempts: number;
  status: 'pending' | 'failed';
  lastError: string | null;
};

export interface QueueReads<N extends QueueEntry> {
  /** An app's failed items, newest first. */
  listFailed(appId: string, page: Page): Promise<QueueItem<N>[]>;
  /** Pending items (all apps when appId is omitted). */
  countPending(appId?: string): Promise<number>;
}

export interface QueueWrites<N extends QueueEntry> {
  /** Stores items in one transaction. */
  enqueue(items: N[]): Promise<void>;
  /**
   * Takes up to `limit` pending items due at `now` and leases them: their next attempt moves to
   * now + leaseMs, so no other claimer gets them meanwhile and a crashed sender's lease runs out.
   * Returned in id order; nextAttemptAt is the lease's end.
   */
  claim(now: number, leaseMs: number, limit: number): Promise<QueueItem<N>[]>;
  /** Done with (delivered, or dropped): removed from the queue. */
  done(id: number): Promise<void>;
  /** Next attempt at `nextAttemptAt`; `countAttempt` false gives a lease back without counting an attempt. */
  reschedule(id: number, nextAttemptAt: number, error: string | null, countAttempt?: boolean): Promise<void>;
  /** Gave up: kept with status failed for listFailed and retry. */
  fail(id: number, error: string): Promise<void>;
  /** Puts a failed item back in the queue as new (attempts 0, createdAt now); false if none. */
  retry(appId: string, id: number, now: number): Promise<boolean>;
}

export type DurableQueue<N extends QueueEntry> = QueueReads<N> & QueueWrites<N>;

/** One webhook POST (notify/webhooks). */
export interface NewWebhookDelivery extends QueueEntry {
  url: string;
  /** The exact JSON body to POST; signed with the app secret at send time. */
  body: string;
}
export type WebhookDelivery = QueueItem<NewWebhookDelivery>;

/** One notification (notify/targets): a message for one target. */
export interface NewNotification extends QueueEntry {
  kind: string;
  address: string;
  /** The target's details when queued. */
  target: Record<string, unknown>;
  /** The message, JSON. */
  body: string;
}
export type NotificationDelivery = QueueItem<NewNotification>;
