// Unguessable identifiers: socket ids are signed into channel auth, so they must not be predictable.
import { randomBytes, randomInt } from 'node:crypto';

/** `\d+.\d+`, as the Pusher SDKs validate it. */
export function newSocketId(): string {
  return `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
}

// randomBytes costs ~7 µs a call whatever the size, and a message id is drawn per persisted event:
// draws come from a pool refilled 4 KB at a time (the same CSPRNG, a fraction of the calls).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

export function randomHex(bytes: number): string {
  if (bytes > POOL_BYTES) return randomBytes(bytes).toString('hex');
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/** A sortable, unique message id: time first, randomness after. */
export function newMessageId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${randomHex(6)}`;
}
