// The Pushi server SDK for Node back ends (`pushi/sdk`).
export { Pushi } from './pushi.ts';
export { Pushi as default } from './pushi.ts';
export { PushiError, WebhookError } from './errors.ts';
export type * from './types.ts';
