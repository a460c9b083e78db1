// Recent history per channel, in memory: the memory adapter's record of what it published (scaled
// out, the history is a stream per channel in Redis instead: redis/stream-scripts.ts). Bounded three
// ways: per channel by count and by age (the app's StreamLimits), and per process by bytes (the
// oldest entries of any channel go first). A stream forgotten when idle comes back with a new
// epoch, so an old position can never be "recovered" from a history that is gone.
import { randomHex } from '../protocol/ids.ts';
import type { Position, Since } from '../protocol/positions.ts';
import type { StreamLimits } from './adapter.ts';

/**
 * Bookkeeping per kept entry beyond its frame's bytes: the entry, its Buffer object, queue slots.
 * Measured ~310 B (live heap per kept event minus its frame, `--scenarios recovery-memory`), so the
 * byte cap tracks the memory the buffers really take.
 */
export const ENTRY_OVERHEAD = 310;

interface Entry {
  offset: number;
  at: number;
  frame: Buffer;
  /** The socket the event was not for (the sender of a client event, a trigger's socket_id). */
  except?: string;
  dropped: boolean;
  stream: Stream;
}

const NONE = Buffer.alloc(0);

export interface Stream extends Position {
  readonly key: string;
  entries: Entry[];
  /** Index of the oldest kept entry in `entries`. */
  first: number;
  windowMs: number;
  lastAt: number;
}

export class Streams {
  private readonly streams = new Map<string, Stream>();
  /** Every kept entry in the order kept: the byte cap evicts from the front. */
  private fifo: Entry[] = [];
  private fifoFirst = 0;
  bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.streams.size;
  }

  get(key: string): Stream | undefined {
    return this.streams.get(key);
  }

  /** The stream, created empty with a new epoch when missing (or when `epoch` differs). */
  open(key: string, now: number, epoch?: string): Stream {
    let s = this.streams.get(key);
    if (s && (epoch === undefined || s.epoch === epoch)) return s;
    if (s) this.clear(s);
    s = { key, epoch: epoch ?? randomHex(6), offset: 0, entries: [], first: 0, windowMs: 0, lastAt: now };
    this.streams.set(key, s);
    return s;
  }

  /** Keeps an event at `offset` (the stream's next one, or later after a gap) and trims. */
  keep(s: Stream, offset: number, frame: Buffer, except: string | undefined, now: number, limits: StreamLimits) {
    const e: Entry = { offset, at: now, frame, except, dropped: false, stream: s };
    s.offset = offset;
    s.lastAt = now;
    s.windowMs = limits.windowMs;
    s.entries.push(e);
    this.fifo.push(e);
    this.bytes += frame.length + ENTRY_OVERHEAD;
    while (s.entries.length - s.first > limits.maxEvents) this.dropHead(s);
    this.expire(s, now);
    while (this.fifoFirst < this.fifo.length) {
      const oldest = this.fifo[this.fifoFirst];
      if (!oldest.dropped) {
        if (this.bytes <= this.maxBytes) break;
        const owner = oldest.stream;
        if (owner.entries[owner.first] === oldest) this.dropHead(owner);
        else oldest.dropped = true; // not reachable: kept in order per stream
      }
      this.fifoFirst++;
    }
    if (this.fifoFirst > 64 && this.fifoFirst * 2 > this.fifo.length) {
      this.fifo = this.fifo.slice(this.fifoFirst);
      this.fifoFirst = 0;
    }
  }

  /**
   * The frames after `since`, oldest first, or how it cannot be answered here: `false` when the
   * position is not this stream's or is already gone, `undefined` when the kept entries have a
   * gap (kept in order from one writer, they have none: a check, not a path the adapter takes).
   */
  read(s: Stream, since: Since, now: number): Buffer[] | false | undefined {
    if (since.epoch !== s.epoch || since.offset > s.offset) return false;
    if (since.offset === s.offset) return [];
    this.expire(s, now);
    const kept = s.entries.length - s.first;
    if (kept === 0) return false;
    const head = s.entries[s.first].offset;
    if (head > since.offset + 1) return false;
    const from = s.first + (since.offset + 1 - head);
    const last = s.entries[s.entries.length - 1];
    if (last.offset !== s.offset || s.entries[from]?.offset !== since.offset + 1) return undefined;
    if (last.offset - since.offset !== s.entries.length - from) return undefined;
    const frames: Buffer[] = [];
    for (let i = from; i < s.entries.length; i++) {
      const e = s.entries[i];
      if (since.socketId === undefined || e.except !== since.socketId) frames.push(e.frame);
    }
    return frames;
  }

  /** Drops expired entries everywhere and forgets idle empty streams `idle` agrees to. */
  sweep(now: number, idle: (key: string) => boolean): void {
    for (const s of this.streams.values()) {
      this.expire(s, now);
      if (s.entries.length === s.first && now - s.lastAt > s.windowMs && idle(s.key)) this.forget(s);
    }
  }

  forget(s: Stream): void {
    this.clear(s);
    this.streams.delete(s.key);
  }

  private clear(s: Stream): void {
    while (s.first < s.entries.length) this.dropHead(s);
  }

  private expire(s: Stream, now: number): void {
    const oldest = now - s.windowMs;
    while (s.first < s.entries.length && s.entries[s.first].at < oldest) this.dropHead(s);
  }

  private dropHead(s: Stream): void {
    const e = s.entries[s.first];
    e.dropped = true;
    this.bytes -= e.frame.length + ENTRY_OVERHEAD;
    e.frame = NONE; // the process-wide queue may still hold the entry: not its bytes
    s.first++;
    if (s.first === s.entries.length) {
      s.entries = [];
      s.first = 0;
    } else if (s.first > 32 && s.first * 2 > s.entries.length) {
      s.entries = s.entries.slice(s.first);
      s.first = 0;
    }
  }
}
