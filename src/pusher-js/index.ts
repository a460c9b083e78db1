// Delivery continuity for pusher-js and Laravel Echo users (`pushi/pusher-js`), one line, no fork:
//   import { recover } from 'pushi/pusher-js';
//   const r = recover(pusher); // Echo: recover(echo.connector.pusher)
//   r.bind('recovery_failed', ({ channel }) => refetch(channel));
import { checkPusher, type PusherJs } from './internals.ts';
import { Recovery } from './recovery.ts';

const attached = new WeakMap<object, Recovery>();

/**
 * Attaches recovery to a pusher-js instance (call it right after creating the instance); calling
 * it again for the same instance returns the same Recovery.
 */
export function recover(pusher: PusherJs): Recovery {
  checkPusher(pusher);
  let r = attached.get(pusher);
  if (!r) attached.set(pusher, (r = new Recovery(pusher)));
  return r;
}

export { Recovery, CHANNEL_EVENT_PREFIX, type RecoveryEvent, type RecoveryEventMap } from './recovery.ts';
export type { PusherJs } from './internals.ts';
export type { Position } from '../client/position.ts';
