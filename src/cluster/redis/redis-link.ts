// The two Redis connections of a node (commands + publishes, and pub/sub) and whether they are
// usable. ioredis reconnects by itself; we never let it queue commands while down (the node falls
// back to local serving), except a bounded outbox of publishes replayed, in order, on reconnect.
// The pub/sub connection listens to the control bus and to the topics of the channels this node
// has subscribers on (listen/unlisten); after any drop it subscribes to all of them again before
// the link counts as up. On a Redis Cluster the topics are shard channels (SSUBSCRIBE/SPUBLISH).
import { ReplyError, type Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Names } from './bus.ts';
import { redisClient, type RedisTarget } from './connect.ts';

const OUTBOX_LIMIT = 10_000;
/** Topics per SUBSCRIBE when listening to many again after a reconnect. */
const SUBSCRIBE_SLICE = 500;
const RETRY_MS = 200;

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
  /** The publish command for topics, in scripts too. */
  readonly pub: 'publish' | 'spublish';
  private cmdReady = false;
  private subLive = false;
  private subscribing = false;
  private wasUp = false;
  /** Topics listened to (or being listened to), each with its subscribe in flight or done. */
  private readonly topics = new Map<string, Promise<void>>();
  /** Sends held while Redis is unreachable, replayed in order on reconnect. */
  private outbox: Send[] = [];
  /** Sends that failed on a broken connection, retried (before the outbox) in the order sent. */
  private retry: Send[] = [];
  private retryTimer?: NodeJS.Timeout;
  private dropped = 0;
  private closing = false;
  /** The latest publish; Redis answers in order, so when it settles all earlier ones have. */
  private lastPublish: Promise<unknown> = Promise.resolve();
  lastError = '';
  /** Pub/sub traffic received (messages and payload bytes), for /metrics and the cluster bench. */
  inbound = { messages: 0, bytes: 0 };

  constructor(
    target: RedisTarget,
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
    this.pub = target.cluster ? 'spublish' : 'publish';
    this.cmd = redisClient(target, { ...options, connectionName: `pushi:${names.node}` });
    this.sub = redisClient(target, { ...options, connectionName: `pushi:${names.node}:sub` }, true);
    this.cmd.on('ready', () => {
      this.cmdReady = true;
      this.flushOutbox();
      this.check();
    });
    this.sub.on('ready', () => this.resubscribe());
    // A cluster's shard subscribers come and go with their masters: a gap, then all topics again.
    this.sub.on('-node', () => this.subDropped());
    const received = (channel: Buffer, message: Buffer) => {
      this.inbound.messages++;
      this.inbound.bytes += message.length;
      this.events.message(channel.toString(), message);
    };
    this.sub.on('messageBuffer', received);
    this.sub.on('smessageBuffer', received);
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

  /** Listens to a channel's topic; resolves once Redis confirmed (messages published after arrive). */
  listen(topic: string): Promise<void> {
    const known = this.topics.get(topic);
    if (known) return known;
    // While down, subscribeAll takes it on reconnect; the caller serves the channel locally meanwhile.
    const done = this.subLive
      ? this.subscribe([topic]).then(
          () => undefined,
          (err) => this.fail(err),
        )
      : Promise.resolve();
    this.topics.set(topic, done);
    return done;
  }

  /** Stops listening to a topic (the node's last subscriber of the channel left). */
  unlisten(topic: string): void {
    if (!this.topics.delete(topic) || !this.subLive) return;
    const cmd = this.pub === 'spublish' ? this.sub.sunsubscribe(topic) : this.sub.unsubscribe(topic);
    cmd.catch((err) => this.fail(err));
  }

  get listening(): number {
    return this.topics.size;
  }

  private subscribe(topics: string[]): Promise<unknown> {
    if (this.pub === 'publish') return this.sub.subscribe(...topics);
    // Shard channels of different slots cannot share one SSUBSCRIBE.
    return Promise.all(topics.map((t) => this.sub.ssubscribe(t)));
  }

  private async subscribeAll(): Promise<void> {
    await this.sub.subscribe(this.names.bus);
    const all = [...this.topics.keys()];
    for (let i = 0; i < all.length; i += SUBSCRIBE_SLICE) await this.subscribe(all.slice(i, i + SUBSCRIBE_SLICE));
  }

  /** Subscribes to the control bus and every topic, retrying until all are confirmed. */
  private resubscribe(): void {
    if (this.subLive || this.subscribing || this.closing) return;
    this.subscribing = true;
    this.subscribeAll().then(
      () => {
        this.subscribing = false;
        this.subLive = true;
        this.check();
      },
      (err) => {
        this.subscribing = false;
        this.fail(err);
        // A cluster may still be settling after a master came back: try again shortly.
        if (this.sub.status === 'ready') setTimeout(() => this.resubscribe(), RETRY_MS).unref();
      },
    );
  }

  private subDropped(): void {
    if (this.subLive) {
      this.subLive = false;
      this.check();
    }
    setTimeout(() => this.resubscribe(), RETRY_MS).unref();
  }

  /** Publishes on the control bus, or keeps it for later while Redis is unreachable. */
  publish(message: Buffer): void {
    this.send((cmd) => cmd.publish(this.names.bus, message));
  }

  /** Sends a publishing command now, or keeps it for later while Redis is unreachable. */
  send(op: Send): void {
    if (this.cmdReady && this.outbox.length === 0 && this.retry.length === 0) {
      this.lastPublish = this.run(op);
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

  /** Runs a send; one that failed because its connection broke is tried again, in order. */
  private run(op: Send): Promise<unknown> {
    return op(this.cmd).catch((err: unknown) => {
      // A reply error is Redis refusing the command: sending it again would not help.
      if (err instanceof ReplyError || this.closing) return;
      if (this.retry.length + this.outbox.length >= OUTBOX_LIMIT) this.retry.shift(); // bounded, as the outbox
      this.retry.push(op);
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        if (this.cmdReady) this.flushOutbox();
      }, RETRY_MS);
    });
  }

  /**
   * Resolves once Redis has taken every publish so far: a trigger answered after this is ordered
   * before any trigger a client makes next, on any node. Never waits while Redis is away.
   */
  published(): Promise<unknown> {
    return this.outbox.length || this.retry.length ? Promise.resolve() : this.lastPublish;
  }

  private flushOutbox(): void {
    const held = [...this.retry, ...this.outbox];
    if (this.outbox.length)
      this.logger.info(
        { events: this.outbox.length, dropped: this.dropped },
        'redis back: sending events held while it was unreachable',
      );
    this.outbox = [];
    this.retry = [];
    this.dropped = 0;
    for (const op of held) this.lastPublish = this.run(op);
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
    clearTimeout(this.retryTimer);
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
