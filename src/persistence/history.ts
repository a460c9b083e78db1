// How stored events look on the wire (subscription_succeeded `events`, pusher_internal:latest,
// GET …/events), and the paging rules shared by the socket and the HTTP API.
import type { StoredEvent } from '../store/event-log.ts';

export const MAX_HISTORY_COUNT = 100;
export const MAX_HISTORY_SKIP = 100_000;

export interface WireEvent {
  mid: string;
  channel: string;
  event: string;
  data: string;
  timestamp: number;
  user_id?: string;
}

export function toWire(e: StoredEvent): WireEvent {
  const out: WireEvent = { mid: e.mid, channel: e.channel, event: e.event, data: e.data, timestamp: e.timestamp };
  if (e.userId) out.user_id = e.userId;
  return out;
}

/** Validates skip/count from a socket message or a query string; returns an error message or the page. */
export function parsePage(skipRaw: unknown, countRaw: unknown): { skip: number; count: number } | string {
  const skip = skipRaw === undefined || skipRaw === null || skipRaw === '' ? 0 : Number(skipRaw);
  const count = countRaw === undefined || countRaw === null || countRaw === '' ? 10 : Number(countRaw);
  if (!Number.isInteger(skip) || skip < 0 || skip > MAX_HISTORY_SKIP)
    return `skip must be a whole number from 0 to ${MAX_HISTORY_SKIP}`;
  if (!Number.isInteger(count) || count < 1 || count > MAX_HISTORY_COUNT)
    return `count must be a whole number from 1 to ${MAX_HISTORY_COUNT}`;
  return { skip, count };
}

export const MAX_USER_ID = 128;

export function userIdError(userId: unknown): string | undefined {
  if (typeof userId !== 'string' || userId.length === 0) return 'user_id must be a non-empty string';
  if (userId.length > MAX_USER_ID) return `user_id longer than ${MAX_USER_ID} characters`;
  if (/[\s/]/.test(userId)) return 'user_id must not contain spaces or slashes';
  return undefined;
}
