// The errors every store role rejects with, whichever database is behind it.

/** The id or key already exists: the API answers 409. */
export class StoreConflictError extends Error {
  override name = 'StoreConflictError';
}
/** The store cannot be reached or written (disk full, database down): the API answers 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  /** What a client may be told: no host, port, path or database name (the message, logged, has them). */
  readonly reply: string;
  constructor(message: string, options?: ErrorOptions & { reply?: string }) {
    super(message, options);
    this.reply = options?.reply ?? message;
  }
}
