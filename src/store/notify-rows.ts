// Row <-> record mapping for the notification tables (migration 3), shared by both stores.
import type { NotificationDelivery, NotifyTarget, TargetFilter } from './store.ts';

export interface TargetRow {
  app_id: string;
  channel: string;
  kind: string;
  address: string;
  target: string;
  created_at: number | string;
  via?: string;
}

export interface NotificationRow {
  id: number | string;
  app_id: string;
  kind: string;
  address: string;
  target: string;
  body: string;
  attempts: number | string;
  last_error: string | null;
  created_at: number | string;
  next_attempt_at: number | string;
}

export const TARGET_COLUMNS = 'app_id, channel, kind, address, target, created_at';
export const NOTIFICATION_COLUMNS =
  'id, app_id, kind, address, target, body, attempts, last_error, created_at, next_attempt_at';

function object(text: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text);
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function toTarget(row: TargetRow): NotifyTarget {
  return {
    appId: row.app_id,
    channel: row.channel,
    kind: row.kind,
    address: row.address,
    target: object(row.target),
    createdAt: Number(row.created_at),
  };
}

export function toTargetVia(row: TargetRow): NotifyTarget & { via: string } {
  return { ...toTarget(row), via: row.via ?? row.channel };
}

export function toNotification(row: NotificationRow): NotificationDelivery {
  return {
    id: Number(row.id),
    appId: row.app_id,
    kind: row.kind,
    address: row.address,
    target: object(row.target),
    body: row.body,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    nextAttemptAt: Number(row.next_attempt_at),
  };
}

/** Orders targets by channel, kind, address (RETURNING rows come unordered). */
export function byTarget(x: NotifyTarget, y: NotifyTarget): number {
  return x.channel < y.channel
    ? -1
    : x.channel > y.channel
      ? 1
      : x.kind < y.kind
        ? -1
        : x.kind > y.kind
          ? 1
          : x.address < y.address
            ? -1
            : x.address > y.address
              ? 1
              : 0;
}

/** The filter as (channel, kind, address) with null for "any"; refuses an empty one (it would match everything). */
export function filterValues(f: TargetFilter, forDelete: boolean): [string | null, string | null, string | null] {
  const v: [string | null, string | null, string | null] = [f.channel ?? null, f.kind ?? null, f.address ?? null];
  if (forDelete && v.every((x) => x === null)) throw new TypeError('removeTargets needs a channel, kind or address');
  return v;
}
