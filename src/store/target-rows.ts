// Row <-> record mapping for notification targets, shared by both dialects.
import { jsonObject } from './rows.ts';
import type { NotifyTarget, TargetFilter } from './targets-store.ts';

export interface TargetRow {
  app_id: string;
  channel: string;
  kind: string;
  address: string;
  target: string;
  created_at: number | string;
  via?: string;
}

export const TARGET_COLUMNS = 'app_id, channel, kind, address, target, created_at';

export function toTarget(row: TargetRow): NotifyTarget {
  return {
    appId: row.app_id,
    channel: row.channel,
    kind: row.kind,
    address: row.address,
    target: jsonObject(row.target),
    createdAt: Number(row.created_at),
  };
}

export function toTargetVia(row: TargetRow): NotifyTarget & { via: string } {
  return { ...toTarget(row), via: row.via ?? row.channel };
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
