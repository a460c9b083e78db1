// Errors of the server SDK: the HTTP status and the server's own message, as values to branch on.

export class PushiError extends Error {
  constructor(
    message: string,
    /** HTTP status of the answer; 0 when no answer came (network failure, timeout). */
    readonly status: number,
    /** The answer's body as received (the server's JSON error is `{error, code}`). */
    readonly body?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PushiError';
  }
}

/** A webhook whose key or signature does not match this app. */
export class WebhookError extends PushiError {
  constructor(message: string) {
    super(message, 401);
    this.name = 'WebhookError';
  }
}
