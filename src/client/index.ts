// The Pushi client for browsers, bundlers and Node (`pushi/client`). In Node < 22 pass the `ws`
// package: `new Pushi(key, { WebSocket })`.
export { Pushi } from './pushi.ts';
export { Pushi as default } from './pushi.ts';
export { Channel } from './channel.ts';
export { AuthError } from './auth.ts';
export { subscribeWebPush, unsubscribeWebPush, webPushKeys, type WebPushKeys, type WebPushOptions } from './push.ts';
export { closeAction, backoffDelay } from './connection.ts';
export type { Callback, EventMeta } from './emitter.ts';
export type { Position, RecoverRequest } from './position.ts';
export type * from './types.ts';
export { VERSION } from './version.ts';
