// Dropping what a socket has queued but not yet handed to the kernel. A slow consumer's close frame
// (4100) would otherwise wait behind megabytes the client is not reading, and be thrown away with
// the socket when ws's 30 s close timeout ends: the client saw an abnormal close and did not back
// off. Node has no public way to discard a stream's buffer, so this reads Writable's state (the
// fields errorBuffer() itself resets on destroy); the write already in flight stays.
import type { Socket } from 'node:net';

interface QueuedWrite {
  chunk: Buffer | string;
  callback: (err?: Error | null) => void;
}

interface WritableInternals {
  buffered?: QueuedWrite[];
  bufferedIndex?: number;
  length: number;
  pendingcb: number;
}

/** Discards the socket's queued writes (their callbacks get an error); returns the bytes dropped. */
export function dropQueuedWrites(socket: Socket): number {
  const state = (socket as unknown as { _writableState?: WritableInternals })._writableState;
  if (!state || !Array.isArray(state.buffered) || typeof state.bufferedIndex !== 'number') return 0;
  const dropped = state.buffered.splice(state.bufferedIndex);
  let bytes = 0;
  for (const w of dropped) bytes += typeof w.chunk === 'string' ? Buffer.byteLength(w.chunk) : w.chunk.length;
  state.length -= bytes;
  state.pendingcb -= dropped.length;
  const err = new Error('dropped: the client was not reading');
  for (const w of dropped) {
    try {
      w.callback(err);
    } catch {
      // a write's owner failing on our error must not stop the close
    }
  }
  return bytes;
}
