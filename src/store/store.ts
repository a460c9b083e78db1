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
}

export class StoreConflictError extends Error {}
/** The store cannot be reached or written (disk full, database down): the API answers 503. */
export class StoreUnavailableError extends Error {}
