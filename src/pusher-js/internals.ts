// The parts of an unmodified pusher-js instance the recovery add-on relies on, checked before use.
// pusher-js's decoded events keep only event, channel, data and user_id, so positions are read from
// the raw WebSocket message: ConnectionManager.connection (the socket in use) → .transport
// (TransportConnection) → onMessage(messageEvent), which the socket's onmessage calls through
// `this`. Verified against pusher-js 8.6.0 (dist/node and dist/web share this code).

/** The public pusher-js members the add-on uses; a `Pusher` instance (or `echo.connector.pusher`) fits. */
export interface PusherJs {
  connection: {
    state: string;
    socket_id: string;
    bind(event: string, callback: () => void): unknown;
  };
  send_event(event: string, data: unknown, channel?: string): boolean;
  unsubscribe(channel: string): void;
  channel(name: string): { emit(event: string, data?: unknown): unknown } | undefined;
}

/** A raw message as the transport gets it from its socket. */
export interface RawMessage {
  data?: unknown;
}

/** What to do with a raw message: drop it (false), deliver it (true), or deliver it and then run the function. */
export type Verdict = boolean | (() => void);

interface Transport {
  onMessage(message: RawMessage): void;
}

const TESTED = 'pusher-js 8.6.0';

function versionOf(pusher: object): string {
  const version = (pusher.constructor as { VERSION?: unknown }).VERSION;
  return typeof version === 'string' ? `pusher-js ${version}` : 'this pusher-js';
}

/** Throws a clear error when `pusher` lacks the public members the add-on wraps or binds. */
export function checkPusher(pusher: unknown): asserts pusher is PusherJs {
  const p = pusher as Partial<PusherJs> | null;
  const missing = [
    typeof p?.send_event !== 'function' && 'send_event()',
    typeof p?.unsubscribe !== 'function' && 'unsubscribe()',
    typeof p?.channel !== 'function' && 'channel()',
    typeof p?.connection?.bind !== 'function' && 'connection.bind()',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new TypeError(
      `pushi/pusher-js: recover(pusher) needs a pusher-js instance; this object has no ${missing.join(', ')}` +
        ` (Laravel Echo: pass echo.connector.pusher)`,
    );
}

/**
 * Routes every raw message of the socket `pusher` is connected on through `judge` before pusher-js
 * decodes and dispatches it. Does nothing for a transport already in `hooked`. Throws when
 * pusher-js's internals are not the ones this add-on knows.
 */
export function hookRawMessages(pusher: PusherJs, hooked: WeakSet<object>, judge: (m: RawMessage) => Verdict): void {
  const current = (pusher.connection as { connection?: { transport?: Partial<Transport> } | null }).connection;
  const transport = current?.transport;
  if (!transport || typeof transport.onMessage !== 'function')
    throw new Error(
      `pushi/pusher-js: ${versionOf(pusher)} has no pusher.connection.connection.transport.onMessage, the raw ` +
        `message hook recovery needs (tested with ${TESTED}); missed events will not be recovered`,
    );
  if (hooked.has(transport)) return;
  hooked.add(transport);
  const deliver = transport.onMessage;
  transport.onMessage = function (this: Transport, message: RawMessage) {
    const verdict = judge(message);
    if (verdict === false) return;
    deliver.call(this, message);
    if (typeof verdict === 'function') verdict();
  };
}
