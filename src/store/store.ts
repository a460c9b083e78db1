// The storage interface: apps, offline subscriptions, stored events and who each event is for.
// Implementations: sqlite/ (embedded default) and postgres/. Both pass test/store/store.test.ts.

export interface AppRecord {
  id: string;
  key: string;
  secret: string;
  name: string;
  enabled: boolean;
  /** Partial AppOptions (apps/app.ts); missing keys take the defaults. */
  options: Record<string, unknown>;
  createdAt: number; // ms since epoch
}

export interface SubscriptionRecord {
  appId: string;
  userId: string;
  channel: string;
  createdAt: number;
}

export interface NewEvent {
  /** Unique id chosen by the caller (protocol/ids.ts newMessageId). */
  mid: string;
  appId: string;
  channel: string;
  event: string;
  /** The event data exactly as delivered (a string from the HTTP API; JSON text of client-event data). */
  data: string;
  socketId?: string | null;
  userId?: string | null;
  timestamp: number; // ms since epoch
}

export interface StoredEvent extends NewEvent {
  /** Store-assigned, increasing: the order of events. */
  seq: number;
}

export interface Page {
  skip: number;
  count: number;
}

export interface RetentionRule {
  appId: string;
  maxPerChannel: number;
  /** ms; 0 means no age limit. */
  maxAgeMs: number;
}

/** One webhook POST waiting in the durable queue (notify/webhooks). */
export interface NewWebhookDelivery {
  appId: string;
  url: string;
  /** The exact JSON body to POST; signed with the app secret at send time. */
  body: string;
  createdAt: number; // ms since epoch
  /** When to try first (usually createdAt). */
  nextAttemptAt: number;
}

export interface WebhookDelivery extends NewWebhookDelivery {
  id: number;
  /** Failed attempts so far. */
  attempts: number;
  status: 'pending' | 'failed';
  lastError: string | null;
}

/** Where notifications go (notify/targets): a Web Push subscription, APNs token, e-mail address, webhook URL. */
export interface NotifyTarget {
  appId: string;
  /** The channel it listens on; one on personal-<user> hears every channel the user is subscribed to. */
  channel: string;
  /** web_push | apns | email | webhook */
  kind: string;
  /** Its identity within the kind: the endpoint, device token, address or URL. */
  address: string;
  /** What a sender needs, as registered (for Web Push: endpoint, p256dh, auth). */
  target: Record<string, unknown>;
  createdAt: number; // ms since epoch
}

/** Fields a target must match; omitted ones match anything. */
export interface TargetFilter {
  channel?: string;
  kind?: string;
  address?: string;
}

/** One notification waiting in the durable queue: a message for one target. */
export interface NewNotification {
  appId: string;
  kind: string;
  address: string;
  /** The target's details when queued. */
  target: Record<string, unknown>;
  /** The message, JSON. */
  body: string;
  createdAt: number;
  nextAttemptAt: number;
}

export interface NotificationDelivery extends NewNotification {
  id: number;
  /** Failed attempts so far. */
  attempts: number;
  lastError: string | null;
}

export interface Store {
  /** Which implementation ("sqlite" | "postgres"), for logs and health. */
  readonly kind: string;
  /** Creates or upgrades the schema (versioned migrations); safe to call on every start. */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Cheap round trip for readiness checks; rejects when the store is unavailable. */
  ping(): Promise<void>;

  // Apps
  listApps(): Promise<AppRecord[]>;
  getApp(id: string): Promise<AppRecord | undefined>;
  getAppByKey(key: string): Promise<AppRecord | undefined>;
  /** Rejects with StoreConflictError when the id or key exists. */
  createApp(app: AppRecord): Promise<void>;
  /** Updates the given fields (not id, not createdAt); returns the new record, or undefined if none. */
  updateApp(id: string, patch: Partial<Omit<AppRecord, 'id' | 'createdAt'>>): Promise<AppRecord | undefined>;
  /** Deletes the app and everything stored for it. */
  deleteApp(id: string): Promise<boolean>;

  // Offline subscriptions (user_id wants the events of channel). Idempotent.
  addSubscription(appId: string, userId: string, channel: string): Promise<boolean>; // true if new
  removeSubscription(appId: string, userId: string, channel: string): Promise<boolean>; // true if it existed
  listSubscriptions(appId: string, filter: { userId?: string; channel?: string }): Promise<SubscriptionRecord[]>;

  /**
   * Stores events in one transaction and records, for each, every user subscribed to its channel at
   * that moment. Resolves only once committed (durable). Returned in input order with their seq.
   */
  appendEvents(events: NewEvent[]): Promise<StoredEvent[]>;
  /** A channel's events, newest first. */
  channelEvents(appId: string, channel: string, page: Page): Promise<StoredEvent[]>;
  /** Events recorded for a user (through its subscriptions), newest first. */
  userEvents(appId: string, userId: string, page: Page): Promise<StoredEvent[]>;
  /** Enforces retention; returns how many events were removed. */
  prune(rule: RetentionRule, now?: number): Promise<number>;

  // Durable webhook queue. A delivery is stored before it is sent; several nodes may share it.
  /** Stores deliveries in one transaction. */
  enqueueWebhooks(items: NewWebhookDelivery[]): Promise<void>;
  /**
   * Takes up to `limit` pending deliveries due at `now` and leases them: their next attempt moves
   * to now + leaseMs, so no other claimer gets them meanwhile and a crashed sender's lease runs out.
   * Returned in id order; nextAttemptAt is the lease's end.
   */
  claimWebhooks(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** Delivered: removed from the queue. */
  webhookDelivered(id: number): Promise<void>;
  /** Next attempt at `nextAttemptAt`; `countAttempt` false gives a lease back without counting an attempt. */
  rescheduleWebhook(id: number, nextAttemptAt: number, error: string | null, countAttempt?: boolean): Promise<void>;
  /** Gave up: kept with status failed for the API. */
  failWebhook(id: number, error: string): Promise<void>;
  /** An app's failed deliveries, newest first. */
  listFailedWebhooks(appId: string, page: Page): Promise<WebhookDelivery[]>;
  /** Puts a failed delivery back in the queue as new (attempts 0, createdAt now); false if none. */
  retryWebhook(appId: string, id: number, now: number): Promise<boolean>;
  /** Pending deliveries (all apps when appId is omitted). */
  countPendingWebhooks(appId?: string): Promise<number>;

  // Notification targets (notify/targets) and their durable queue, leased like the webhook queue.
  /** Adds a target, or refreshes the details of the same (app, channel, kind, address); true if new. */
  addTarget(target: NotifyTarget): Promise<boolean>;
  /** The app's targets matching the filter, ordered by channel, kind, address. */
  listTargets(appId: string, filter: TargetFilter): Promise<NotifyTarget[]>;
  /** Removes the app's targets matching the filter (at least one field, else TypeError) and returns them. */
  removeTargets(appId: string, filter: TargetFilter): Promise<NotifyTarget[]>;
  /**
   * Targets on any of `channels`, plus those on personal-<user> for every user subscribed to one of
   * them; `via` is the channel of `channels` that matched (a target may come once per channel).
   */
  targetsFor(appId: string, channels: string[]): Promise<Array<NotifyTarget & { via: string }>>;
  /** Whether the app has any target at all (a cheap gate before targetsFor). */
  hasTargets(appId: string): Promise<boolean>;
  enqueueNotifications(items: NewNotification[]): Promise<void>;
  /** Like claimWebhooks: leases up to `limit` due notifications until now + leaseMs, in id order. */
  claimNotifications(now: number, leaseMs: number, limit: number): Promise<NotificationDelivery[]>;
  /** Sent, or given up on: removed from the queue. */
  notificationDone(id: number): Promise<void>;
  /** Next attempt at `nextAttemptAt`; `countAttempt` false gives a lease back without counting an attempt. */
  rescheduleNotification(
    id: number,
    nextAttemptAt: number,
    error: string | null,
    countAttempt?: boolean,
  ): Promise<void>;
  /** Queued notifications (all apps when appId is omitted). */
  countPendingNotifications(appId?: string): Promise<number>;
}

export class StoreConflictError extends Error {
  override name = 'StoreConflictError';
}
/** The store cannot be reached or written (disk full, database down): the API answers 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError'; // http-api.ts maps errors by name
  /** What a client may be told: no host, port, path or database name (the message, logged, has them). */
  readonly reply: string;
  constructor(message: string, options?: ErrorOptions & { reply?: string }) {
    super(message, options);
    this.reply = options?.reply ?? message;
  }
}
