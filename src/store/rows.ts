// Row <-> record mapping for apps and the event log, shared by both dialects. Number()/Boolean()
// absorb the dialect differences: pg returns bigint columns as strings, SQLite stores booleans as 0/1.
import type { AppRecord } from './apps-store.ts';
import type { NewEvent, Page, StoredEvent, SubscriptionRecord } from './event-log.ts';

export interface AppRow {
  id: string;
  key: string;
  secret: string;
  name: string;
  enabled: number | boolean;
  options: string;
  created_at: number | string;
}

export interface SubscriptionRow {
  app_id: string;
  user_id: string;
  channel: string;
  created_at: number | string;
}

export interface EventRow {
  seq: number | string;
  mid: string;
  app_id: string;
  channel: string;
  event: string;
  data: string;
  socket_id: string | null;
  user_id: string | null;
  timestamp: number | string;
}

export const APP_COLUMNS = 'id, key, secret, name, enabled, options, created_at';
export const EVENT_COLUMNS = 'seq, mid, app_id, channel, event, data, socket_id, user_id, timestamp';

/** A column list with every name qualified by a table alias, for joins. */
export function qualified(columns: string, alias: string): string {
  return columns.replace(/(\w+)/g, `${alias}.$1`);
}

export function toApp(row: AppRow): AppRecord {
  return {
    id: row.id,
    key: row.key,
    secret: row.secret,
    name: row.name,
    enabled: Boolean(row.enabled),
    options: jsonObject(row.options),
    createdAt: Number(row.created_at),
  };
}

/** A JSON object column (options, a target's details, a queued job); anything else reads as {}. */
export function jsonObject(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(text);
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

export function toSubscription(row: SubscriptionRow): SubscriptionRecord {
  return { appId: row.app_id, userId: row.user_id, channel: row.channel, createdAt: Number(row.created_at) };
}

export function toEvent(row: EventRow): StoredEvent {
  return {
    seq: Number(row.seq),
    mid: row.mid,
    appId: row.app_id,
    channel: row.channel,
    event: row.event,
    data: row.data,
    socketId: row.socket_id,
    userId: row.user_id,
    timestamp: Number(row.timestamp),
  };
}

/** The stored shape of a new event, so appendEvents and the readers return identical objects. */
export function stored(event: NewEvent, seq: number): StoredEvent {
  return {
    seq,
    mid: event.mid,
    appId: event.appId,
    channel: event.channel,
    event: event.event,
    data: event.data,
    socketId: event.socketId ?? null,
    userId: event.userId ?? null,
    timestamp: event.timestamp,
  };
}

/** LIMIT/OFFSET from a page; undefined when the page cannot contain anything. */
export function limits(page: Page): { limit: number; offset: number } | undefined {
  const limit = Math.floor(page.count);
  const offset = Math.max(0, Math.floor(page.skip) || 0);
  if (!(limit > 0)) return undefined;
  return { limit, offset };
}
