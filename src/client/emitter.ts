// The seed's callback shape: every listener is called as fn(event, data, meta).

/** Where an event came from: the channel and, when the server gave them, user id and history ids. */
export interface EventMeta {
  channel?: string;
  /** Sender of a client event on a presence channel. */
  userId?: string;
  /** Id and time (ms) of a persisted event. */
  mid?: string;
  timestamp?: number;
}

export type Callback<D = any> = (event: string, data: D, meta: EventMeta) => void;

/** Typed binds for the built-in events of `M`, untyped (`any` data) for app events. */
export class Emitter<M extends object> {
  private readonly listeners = new Map<string, Set<Callback>>();
  private readonly globals = new Set<Callback>();

  bind<K extends keyof M & string>(event: K, fn: (event: K, data: M[K], meta: EventMeta) => void): this;
  bind(event: string, fn: Callback): this;
  bind(event: string, fn: Callback): this {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return this;
  }

  /** Like bind, but the listener is removed after its first call. */
  once<K extends keyof M & string>(event: K, fn: (event: K, data: M[K], meta: EventMeta) => void): this;
  once(event: string, fn: Callback): this;
  once(event: string, fn: Callback): this {
    const wrapper: Callback = (e, d, m) => {
      this.unbind(event, wrapper);
      fn(e, d, m);
    };
    return this.bind(event, wrapper);
  }

  /** Removes one listener, every listener of an event (no fn), or every listener (no arguments). */
  unbind(event?: string, fn?: Callback): this {
    if (event === undefined) this.listeners.clear();
    else if (!fn) this.listeners.delete(event);
    else this.listeners.get(event)?.delete(fn);
    return this;
  }

  /** Listens to every app event (not the built-in ones), e.g. for a live log. */
  bindGlobal(fn: Callback): this {
    this.globals.add(fn);
    return this;
  }

  unbindGlobal(fn?: Callback): this {
    if (fn) this.globals.delete(fn);
    else this.globals.clear();
    return this;
  }

  /** @internal Calls the listeners of `event` (and the global ones when `global`). */
  emit(event: string, data: unknown, meta: EventMeta = {}, global = false): void {
    const set = this.listeners.get(event);
    if (set) for (const fn of [...set]) safeCall(fn, event, data, meta);
    if (global) for (const fn of [...this.globals]) safeCall(fn, event, data, meta);
  }
}

/** One failing listener must not stop the others or the connection. */
function safeCall(fn: Callback, event: string, data: unknown, meta: EventMeta): void {
  try {
    fn(event, data, meta);
  } catch (err) {
    const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
    if (report) report(err);
    else console.error('pushi: listener for', event, 'threw', err);
  }
}
