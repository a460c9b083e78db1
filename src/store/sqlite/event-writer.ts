// Appends events on a worker thread with its own SQLite connection. better-sqlite3 is synchronous:
// on the main thread every durable commit (synchronous = FULL, an fsync of the WAL) would stall
// every socket for its duration. The thread commits while the main thread keeps serving; WAL
// mode lets the two connections share the file, and busy_timeout orders their writes.
import { Worker } from 'node:worker_threads';
import type { NewEvent } from '../event-log.ts';

export interface WriterSettings {
  path: string;
  busyTimeoutMs: number;
}

export interface WriterRequest {
  id: number;
  events: NewEvent[];
  close?: boolean;
  /** Reads this setting of the thread's connection instead of appending (tests check durability). */
  pragma?: 'synchronous' | 'journal_mode';
  /** Readiness: take and release the write lock (waiting here, not on the main thread). */
  ping?: boolean;
}

export interface WriterReply {
  id: number;
  seqs?: number[];
  value?: unknown;
  error?: { code?: string; message: string };
}

function startThread(settings: WriterSettings): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./writer-thread.js', import.meta.url), { workerData: settings });
  // Tests and `npm run dev` run the TypeScript sources, and tsx's hooks do not reach worker threads
  // by themselves: the thread registers them before loading its module.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const thread = JSON.stringify(new URL('./writer-thread.ts', import.meta.url).href);
  const boot = `import(${tsx}).then((tsx) => { tsx.register(); return import(${thread}); })`;
  return new Worker(boot, { eval: true, workerData: settings });
}

interface Waiter {
  resolve: (reply: WriterReply) => void;
  reject: (err: Error) => void;
}

interface Thread {
  worker: Worker;
  /** Appends sent to this thread and not answered yet. */
  waiting: Map<number, Waiter>;
  /** Asked to stop: stays referenced until it has exited. */
  closing?: boolean;
  /** Has answered a request. */
  answered?: boolean;
}

export class EventWriter {
  private thread?: Thread;
  private nextId = 1;

  constructor(private readonly settings: WriterSettings) {}

  /** The events' seqs once committed; an Error carrying SQLite's `code` when the commit failed. */
  append(events: NewEvent[]): Promise<number[]> {
    return this.request({ events }).then((m) => m.seqs!);
  }

  /** A setting of the thread's own connection, e.g. synchronous (2 = FULL). */
  pragma(name: NonNullable<WriterRequest['pragma']>): Promise<unknown> {
    return this.request({ events: [], pragma: name }).then((m) => m.value);
  }

  /** Resolves once the thread could take the write lock; an Error with SQLite's `code` otherwise. */
  async ping(): Promise<void> {
    await this.request({ events: [], ping: true });
  }

  /** The thread is running and has answered (starting one takes a while: modules, a connection). */
  get warm(): boolean {
    return this.thread?.answered === true;
  }

  private request(req: Omit<WriterRequest, 'id'>): Promise<WriterReply> {
    const thread = (this.thread ??= this.spawn());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      thread.waiting.set(id, { resolve, reject });
      thread.worker.ref(); // a commit in flight keeps the process alive; an idle thread does not
      thread.worker.postMessage({ id, ...req } satisfies WriterRequest);
    });
  }

  /** Stops the thread (callers drain their appends first). */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    if (!thread) return;
    const exited = new Promise((resolve) => thread.worker.once('exit', resolve));
    thread.closing = true;
    thread.worker.ref(); // keeps the process up until the thread has closed its connection
    thread.worker.postMessage({ id: 0, events: [], close: true } satisfies WriterRequest);
    await exited;
  }

  private spawn(): Thread {
    const thread: Thread = { worker: startThread(this.settings), waiting: new Map() };
    const { worker, waiting } = thread;
    worker.unref();
    worker.on('message', (m: WriterReply) => {
      thread.answered = true;
      const waiter = waiting.get(m.id);
      waiting.delete(m.id);
      if (waiting.size === 0 && !thread.closing) worker.unref();
      if (!waiter) return;
      if (!m.error) waiter.resolve(m);
      else waiter.reject(Object.assign(new Error(m.error?.message ?? 'append failed'), { code: m.error?.code }));
    });
    const gone = (err: Error) => {
      if (this.thread === thread) this.thread = undefined; // the next append starts a new thread
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    };
    worker.on('error', (err) =>
      gone(Object.assign(new Error(`SQLite writer thread failed: ${err.message}`), { code: 'SQLITE_IOERR' })),
    );
    worker.on('exit', (code) =>
      gone(Object.assign(new Error(`SQLite writer thread exited (${code})`), { code: 'SQLITE_IOERR' })),
    );
    return thread;
  }
}
