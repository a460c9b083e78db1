// The event log role: stored events, the offline subscriptions that say who each event is for,
// and retention (persistence/, the history API, the console's stored view).

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

export interface SubscriptionFilter {
  userId?: string;
  channel?: string;
}

export interface EventLogReads {
  listSubscriptions(appId: string, filter: SubscriptionFilter): Promise<SubscriptionRecord[]>;
  /** A channel's events, newest first. */
  channelEvents(appId: string, channel: string, page: Page): Promise<StoredEvent[]>;
  /** Events recorded for a user (through its subscriptions), newest first. */
  userEvents(appId: string, userId: string, page: Page): Promise<StoredEvent[]>;
  /** The order (seq) of a stored event of the app by its mid; undefined when unknown or pruned. */
  seqOf(appId: string, mid: string): Promise<number | undefined>;
  /** A channel's events stored after `afterSeq`, oldest first (history from a position). */
  channelEventsAfter(appId: string, channel: string, afterSeq: number, count: number): Promise<StoredEvent[]>;
  /** A user's events stored after `afterSeq`, oldest first. */
  userEventsAfter(appId: string, userId: string, afterSeq: number, count: number): Promise<StoredEvent[]>;
}

export interface EventLogWrites {
  /** user_id wants the events of channel; idempotent, true if new. */
  addSubscription(appId: string, userId: string, channel: string): Promise<boolean>;
  /** Idempotent; true if it existed. */
  removeSubscription(appId: string, userId: string, channel: string): Promise<boolean>;
  /**
   * Stores events in one transaction and records, for each, every user subscribed to its channel at
   * that moment. Resolves only once committed (durable). Returned in input order with their seq.
   */
  append(events: NewEvent[]): Promise<StoredEvent[]>;
  /** Enforces retention; returns how many events were removed. */
  prune(rule: RetentionRule, now?: number): Promise<number>;
}

export type EventLog = EventLogReads & EventLogWrites;
