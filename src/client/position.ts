// Where a channel's subscriber stands in the channel's event stream (the delivery-continuity
// extension): the epoch and the last offset received. Shared by the Pushi client and the
// pusher-js add-on, so both read, compare and send positions the same way.

export interface Position {
  /** Changes when the server can no longer serve earlier offsets; offsets restart from 1. */
  epoch: string;
  /** The last offset received in this epoch (0: none yet). */
  offset: number;
}

/** What `pusher:subscribe` carries to resume: the position and the socket id the events went to. */
export interface RecoverRequest extends Position {
  socket_id?: string;
}

/** The position a frame or subscription_succeeded data carries; undefined when absent or malformed. */
export function readPosition(source: unknown): Position | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const { epoch, offset } = source as { epoch?: unknown; offset?: unknown };
  if (typeof epoch !== 'string' || epoch.length === 0) return undefined;
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) return undefined;
  return { epoch, offset };
}

/**
 * An event at `next` was already delivered when it is in the tracked epoch at or below the tracked
 * offset. The server never sends such an event; dropping it keeps a replay that overlaps what
 * arrived live from reaching the app twice. A new epoch is never a duplicate: offsets restarted.
 */
export function isDuplicate(tracked: Position | undefined, next: Position): boolean {
  return tracked !== undefined && tracked.epoch === next.epoch && next.offset <= tracked.offset;
}

const CACHE_CHANNEL = /^(private-(encrypted-)?|presence-)?cache-/;

/**
 * After a subscription_succeeded that did not recover, a cache channel's first event may be its
 * last one sent again, with its position (at or below the one subscription_succeeded gave): it is
 * for the app, not a duplicate.
 */
export function awaitsCachedEvent(channel: string, recovered: boolean | undefined): boolean {
  return recovered !== true && CACHE_CHANNEL.test(channel);
}

/** The `recover` field of a re-subscribe; the previous socket id lets the server skip that socket's own events. */
export function recoverRequest(position: Position, previousSocketId: string | undefined): RecoverRequest {
  const request: RecoverRequest = { epoch: position.epoch, offset: position.offset };
  if (previousSocketId !== undefined) request.socket_id = previousSocketId;
  return request;
}

/** subscription_succeeded says whether the gap was served: true, false, or undefined when no recovery was asked. */
export function recoveredFlag(data: unknown): boolean | undefined {
  const recovered = data && typeof data === 'object' ? (data as { recovered?: unknown }).recovered : undefined;
  return typeof recovered === 'boolean' ? recovered : undefined;
}

/** What recovery_failed reports: the channel, and where a refetch of stored events starts when known. */
export function failedAt(channel: string, lastMid: string | undefined): { channel: string; since?: string } {
  return lastMid === undefined ? { channel } : { channel, since: lastMid };
}
