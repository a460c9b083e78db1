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

/**
 * A page of history: newest first from `skip`, or, with `since` (a stored event's mid), the events
 * after it, oldest first.
 */
export interface HistoryPage {
  skip: number;
  count: number;
  since?: string;
}

/** `since` names a stored event this app does not have (never stored, or removed by retention). */
export class UnknownSinceError extends Error {}

const MID = /^[0-9a-z]{1,64}$/;
const absent = (v: unknown) => v === undefined || v === null || v === '';

/** Validates skip/count/since from a socket message or a query string; returns an error message or the page. */
export function parsePage(skipRaw: unknown, countRaw: unknown, sinceRaw?: unknown): HistoryPage | string {
  if (!absent(sinceRaw)) {
    if (typeof sinceRaw !== 'string' || !MID.test(sinceRaw)) return 'since must be the mid of a stored event';
    if (!absent(skipRaw) && Number(skipRaw) !== 0) return 'since and skip do not go together';
  }
  const skip = absent(skipRaw) ? 0 : Number(skipRaw);
  const count = absent(countRaw) ? 10 : Number(countRaw);
  if (!Number.isInteger(skip) || skip < 0 || skip > MAX_HISTORY_SKIP)
    return `skip must be a whole number from 0 to ${MAX_HISTORY_SKIP}`;
  if (!Number.isInteger(count) || count < 1 || count > MAX_HISTORY_COUNT)
    return `count must be a whole number from 1 to ${MAX_HISTORY_COUNT}`;
  return absent(sinceRaw) ? { skip, count } : { skip, count, since: sinceRaw as string };
}

export const MAX_USER_ID = 128;

export function userIdError(userId: unknown): string | undefined {
  if (typeof userId !== 'string' || userId.length === 0) return 'user_id must be a non-empty string';
  if (userId.length > MAX_USER_ID) return `user_id longer than ${MAX_USER_ID} characters`;
  if (/[\s/]/.test(userId)) return 'user_id must not contain spaces or slashes';
  return undefined;
}
