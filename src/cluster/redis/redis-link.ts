// The two Redis connections of a node (commands + publishes, and pub/sub) and whether they are
// usable. ioredis reconnects by itself; we never let it queue commands while down (the node falls
// back to local serving), except a bounded outbox of publishes replayed, in order, on reconnect.
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Names } from './bus.ts';

const OUTBOX_LIMIT = 10_000;

/** One publishing command, run on the command connection. */
export type Send = (cmd: Redis) => Promise<unknown>;

export interface LinkEvents {
  /** Both connections are up and subscribed (first time or after any drop). */
  up(): void;
  /** One of them dropped: what arrives on pub/sub now has a gap. */
  down(): void;
  message(channel: string, message: Buffer): void;
}

export class RedisLink {
  readonly cmd: Redis;
  readonly sub: Redis;
  private cmdReady = false;
  private subLive = false;
  private wasUp = false;
  /** Sends held while Redis is unreachable, replayed in order on reconnect. */
  private outbox: Send[] = [];
  private dropped = 0;
  private closing = false;
  /** The latest publish; Redis answers in order, so when it settles all earlier ones have. */
  private lastPublish: Promise<unknown> = Promise.resolve();
  lastError = '';

  constructor(
    url: string,
    private readonly names: Names,
    private readonly logger: Logger,
    private readonly events: LinkEvents,
  ) {
    const options = {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false, // we resubscribe ourselves, to know when pub/sub is live again
      // Off: a publish must hit the socket before the HTTP response that triggered it (order
      // across nodes); auto-pipelining would defer it to a later tick.
      enableAutoPipelining: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    };
    this.cmd = new Redis(url, { ...options, connectionName: `pushi:${names.node}` });
    this.sub = new Redis(url, { ...options, connectionName: `pushi:${names.node}:sub` });
    this.cmd.on('ready', () => {
      this.cmdReady = true;
      this.flushOutbox();
      this.check();
    });
    this.sub.on('ready', () => {
      this.sub.subscribe(names.bus, names.nodeBus()).then(
        () => {
          this.subLive = true;
          this.check();
        },
        (err) => this.fail(err),
      );
    });
    this.sub.on('messageBuffer', (channel: Buffer, message: Buffer) =>
      this.events.message(channel.toString(), message),
    );
    for (const [conn, which] of [
      [this.cmd, 'cmd'],
      [this.sub, 'sub'],
    ] as const) {
      conn.on('error', (err: Error) => this.fail(err));
      conn.on('close', () => {
        if (which === 'cmd') this.cmdReady = false;
        else this.subLive = false;
        this.check();
      });
    }
  }

  /** Starts connecting; resolves when both are up, or after `waitMs` (then we run degraded). */
  async start(waitMs: number): Promise<boolean> {
    this.cmd.connect().catch((err) => this.fail(err));
    this.sub.connect().catch((err) => this.fail(err));
    const deadline = Date.now() + waitMs;
    while (!this.up && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.up;
  }

  get up(): boolean {
    return this.cmdReady && this.subLive;
  }

  get commandsReady(): boolean {
    return this.cmdReady;
  }

  /** Publishes on the shared bus, or keeps it for later while Redis is unreachable. */
  publish(message: Buffer): void {
    this.send((cmd) => cmd.publish(this.names.bus, message));
  }

  /** Sends a publishing command now, or keeps it for later while Redis is unreachable. */
  send(op: Send): void {
    if (this.cmdReady && this.outbox.length === 0) {
      this.lastPublish = op(this.cmd).catch(() => undefined);
      return;
    }
    if (this.outbox.length >= OUTBOX_LIMIT) {
      this.outbox.shift();
      if (this.dropped++ === 0)
        this.logger.warn(
          { limit: OUTBOX_LIMIT },
          'redis unreachable: outbox full, dropping the oldest cross-node events',
        );
    }
    this.outbox.push(op);
  }

  /**
   * Resolves once Redis has taken every publish so far: a trigger answered after this is ordered
   * before any trigger a client makes next, on any node. Never waits while Redis is away.
   */
  published(): Promise<unknown> {
    return this.outbox.length ? Promise.resolve() : this.lastPublish;
  }

  private flushOutbox(): void {
    if (this.outbox.length)
      this.logger.info(
        { events: this.outbox.length, dropped: this.dropped },
        'redis back: sending events held while it was unreachable',
      );
    const held = this.outbox;
    this.outbox = [];
    this.dropped = 0;
    for (const op of held) this.lastPublish = op(this.cmd).catch(() => undefined);
  }

  private check(): void {
    if (this.closing) return;
    if (this.up && !this.wasUp) {
      this.wasUp = true;
      this.lastError = '';
      this.events.up();
    } else if (!this.up && this.wasUp) {
      this.wasUp = false;
      this.events.down();
    }
  }

  private fail(err: Error): void {
    const message = err?.message ?? String(err);
    if (message !== this.lastError && !this.closing) this.logger.debug({ err: message }, 'redis error');
    this.lastError = message;
  }

  /** Forces a fresh connection (a half-open socket that stopped answering). */
  reconnect(which: 'cmd' | 'sub'): void {
    (which === 'cmd' ? this.cmd : this.sub).disconnect(true);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(
      [this.cmd, this.sub].map(async (c) => {
        try {
          if (c.status === 'ready') await c.quit();
          else c.disconnect();
        } catch {
          c.disconnect();
        }
      }),
    );
  }
}
