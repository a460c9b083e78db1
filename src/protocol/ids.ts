// Unguessable identifiers: socket ids are signed into channel auth, so they must not be predictable.
import { randomBytes } from 'node:crypto';

// randomBytes costs ~7 µs a call whatever the size, and draws come per connection (socket ids)
// and per persisted event (message ids): they come from a pool refilled 4 KB at a time (the same
// CSPRNG, a fraction of the calls).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** The offset of `bytes` fresh random bytes in the pool. */
function draw(bytes: number): number {
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += bytes;
  return used - bytes;
}

/** `\d+.\d+`, as the Pusher SDKs validate it: two random numbers in 1 .. 2^47. */
export function newSocketId(): string {
  // 47 bits each (the top 47 of 6 bytes): crypto.randomInt took ~2 µs a call, a connection's
  // largest share of Pushi's own work in a connect burst.
  return `${random47()}.${random47()}`;
}

function random47(): number {
  const at = draw(6); // first: a draw may replace the pool
  return Math.floor(pool.readUIntBE(at, 6) / 2) + 1;
}

export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('hex');
  const at = draw(bytes);
  return pool.toString('hex', at, at + bytes);
}

/** A sortable, unique message id: time first, randomness after. */
export function newMessageId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomHex(6)}`;
}
