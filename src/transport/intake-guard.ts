// Under `serve --workers N` every worker accepts from the one listening socket itself (cluster
// SCHED_NONE: src/cli/workers.ts), and the kernel hands each new connection to whichever worker
// asks first. Nothing then keeps one worker from taking more sockets than its open-file limit
// allows (libuv would accept and drop them: EMFILE). The guard closes this worker's copy of the
// listening socket once it holds `max` connections (the other workers keep accepting from theirs)
// and listens again once some have gone.
import { readFileSync } from 'node:fs';
import { Server as NetServer, type Server } from 'node:net';

/** File descriptors kept for everything but client sockets (store, Redis, log, IPC, epoll, …). */
const RESERVED_FDS = 500;
/** How often a paused worker checks whether it may accept again. */
const RESUME_CHECK_MS = 200;

const readLimits = (): string => readFileSync('/proc/self/limits', 'utf8');

/** This process's open-file limit (Linux), undefined where it cannot be read or is unlimited. */
export function openFileLimit(read = readLimits): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(read());
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The most connections a worker takes: `configured` if set (> 0), else the file limit less a reserve. */
export function workerConnectionCap(configured: number, read = readLimits): number | undefined {
  if (configured > 0) return configured;
  const limit = openFileLimit(read);
  return limit === undefined ? undefined : Math.max(limit - RESERVED_FDS, Math.floor(limit / 2));
}

interface Guarded {
  server: Server;
  port: number;
  host: string;
  paused: boolean;
  resuming: boolean;
}

export class IntakeGuard {
  private readonly guarded: Guarded[] = [];
  private timer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly max: number,
    private readonly onChange?: (accepting: boolean, open: number) => void,
  ) {}

  /**
   * Connections open on the guarded listeners (net.Server counts them; no listener per socket). The
   * field is private: test/core/node-internals.test.ts fails, naming it, if a Node release changes it.
   */
  open(): number {
    let n = 0;
    for (const g of this.guarded) n += (g.server as unknown as { _connections: number })._connections;
    return n;
  }

  /** Guards a listening server (its port and host are listened on again after a pause). */
  add(server: Server, port: number, host: string): void {
    const g: Guarded = { server, port, host, paused: false, resuming: false };
    this.guarded.push(g);
    server.on('connection', () => {
      if (this.open() >= this.max) this.pause();
    });
  }

  private pause(): void {
    let paused = false;
    for (const g of this.guarded) {
      if (g.paused) continue;
      g.paused = paused = true;
      // net.Server's close, not http.Server's: only the listening socket goes (this worker's copy),
      // not the idle keep-alive connections or the header-timeout sweep.
      NetServer.prototype.close.call(g.server);
    }
    if (!paused) return;
    this.onChange?.(false, this.open());
    this.timer ??= setInterval(() => this.maybeResume(), RESUME_CHECK_MS);
    this.timer.unref();
  }

  private maybeResume(): void {
    // Some room to spare before listening again: not a close and reopen per connection at the cap.
    if (this.closed || this.open() > this.max - Math.max(1, Math.floor(this.max / 100))) return;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const g of this.guarded) {
      if (!g.paused || g.resuming) continue;
      g.resuming = true;
      const done = (err?: Error) => {
        g.server.off('error', done);
        g.server.off('listening', done);
        g.resuming = false;
        if (err) this.timer ??= setInterval(() => this.maybeResume(), RESUME_CHECK_MS).unref();
        else g.paused = false;
      };
      g.server.once('error', done);
      g.server.once('listening', done); // called without an argument
      g.server.listen(g.port, g.host);
    }
    this.onChange?.(true, this.open());
  }

  /** Stops the resume checks (the listeners are being closed). */
  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
