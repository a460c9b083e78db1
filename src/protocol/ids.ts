// Unguessable identifiers: socket ids are signed into channel auth, so they must not be predictable.
import { randomBytes, randomInt } from 'node:crypto';

/** `\d+.\d+`, as the Pusher SDKs validate it. */
export function newSocketId(): string {
  return `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A sortable, unique message id: time first, randomness after. */
export function newMessageId(now = Date.now()): string {
  return `${now.toString(36).padStart(9, '0')}${pooledRandomHex(6)}`;
}

// randomBytes costs ~7 µs a call whatever the size; one message id per persisted event adds up.
// Drawing from a pool filled 4 KB at a time costs the same entropy for a fraction of the calls.
let pool = Buffer.alloc(0);
let used = 0;

function pooledRandomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  const hex = pool.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}
