// Pusher protocol errors as values: each carries its code and whether the socket must close.
// Rendered once per transport (see transport/ws-connection.ts and api/respond.ts).

export const ErrorCode = {
  SSL_ONLY: 4000,
  APP_NOT_FOUND: 4001,
  APP_DISABLED: 4003,
  OVER_CONNECTION_QUOTA: 4004,
  PATH_NOT_FOUND: 4005,
  INVALID_VERSION: 4006,
  UNSUPPORTED_PROTOCOL: 4007,
  NO_PROTOCOL: 4008,
  UNAUTHORIZED: 4009,
  OVER_CAPACITY: 4100,
  RECONNECT: 4200,
  PONG_NOT_RECEIVED: 4201,
  INACTIVITY: 4202,
  CLIENT_EVENT_REJECTED: 4301,
  SERVER_ERROR: 4302,
} as const;

export class PusherError extends Error {
  /** `code` null is how Pusher reports a non-fatal error with no code (e.g. bad channel auth). */
  constructor(
    message: string,
    readonly code: number | null,
    readonly close = false,
    /** Channel the error concerns; rendered as `pusher:subscription_error` on that channel. */
    readonly channel?: string,
  ) {
    super(message);
  }
}

/** A fatal protocol error: send `pusher:error` then close with the same code. */
export const fatal = (code: number, message: string) => new PusherError(message, code, true);
/** A non-fatal error: `pusher:error`, the socket stays open. */
export const warn = (code: number | null, message: string) => new PusherError(message, code, false);
/** A subscription refused: `pusher:subscription_error` on the channel and a `pusher:error`. */
export const subscriptionError = (channel: string, code: number | null, message: string) =>
  new PusherError(message, code, false, channel);

/** HTTP API errors: a status and a message, rendered as `{"error": message, "code": status}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}
