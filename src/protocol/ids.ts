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
  return `${now.toString(36).padStart(9, '0')}${randomBytes(6).toString('hex')}`;
}
