// Channel positions (delivery continuity): every event on a channel carries its stream's epoch
// and offset as two extra fields of the frame, and a client that comes back names the last
// position it saw in `pusher:subscribe`. Pusher clients ignore both fields.

export interface Position {
  /** The channel stream's generation: changes whenever earlier offsets can no longer be served. */
  epoch: string;
  /** The last event's offset in that epoch (0: none yet). */
  offset: number;
}

/** A resume request: the last position the client saw, and its previous socket id. */
export interface Since extends Position {
  socketId?: string;
}

const CLOSE = 0x7d; // '}'
const EPOCH = /^[0-9a-z]{1,32}$/;

/**
 * The frame with `,"epoch":…,"offset":…` spliced before its closing brace. Every frame the hub
 * encodes is a JSON object, so its last byte is `}`; anything else goes out as it came.
 */
export function withPosition(frame: Buffer, epoch: string, offset: number): Buffer {
  const end = frame.length - 1;
  if (end < 1 || frame[end] !== CLOSE) return frame;
  const tail = `,"epoch":"${epoch}","offset":${offset}}`;
  // Its own memory, not a slice of Node's shared 8 KB pool: the frame is kept as recent history,
  // and a pooled slice would keep its whole block (and its neighbours) alive with it.
  const out = Buffer.allocUnsafeSlow(end + Buffer.byteLength(tail));
  frame.copy(out, 0, 0, end);
  out.write(tail, end, 'latin1');
  return out;
}

/**
 * `recover` from a subscribe message, or undefined when it is absent. A malformed one is read as a
 * position no stream has (it can only give `recovered: false`), never as an error.
 */
export function parseSince(value: unknown): Since | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v !== 'object' || typeof v.epoch !== 'string' || !EPOCH.test(v.epoch)) return INVALID;
  if (typeof v.offset !== 'number' || !Number.isSafeInteger(v.offset) || v.offset < 0) return INVALID;
  const socketId = typeof v.socket_id === 'string' && v.socket_id.length <= 64 ? v.socket_id : undefined;
  return { epoch: v.epoch, offset: v.offset, socketId };
}

/** Matches no epoch (epochs are lowercase base-36). */
export const INVALID: Since = Object.freeze({ epoch: '-', offset: -1 });
