// From the hub's reports to the queue: every trigger and client event, after it went out to the
// sockets, is looked up here on a later turn of the event loop (never on the fan-out path). Each
// target on one of its channels, or on personal-<user> of a user subscribed to one, gets one queued
// notification per trigger (the first channel that reaches it decides the message).
import type { Logger } from 'pino';
import type { HubObserver } from '../../hub/observer.ts';
import type { NewNotification, QueueWrites } from '../../store/durable-queue.ts';
import type { NotifyTarget, TargetsReads } from '../../store/targets-store.ts';
import { MESSAGE_EXTRAS, type NotifyMessage } from './targets.ts';

/** Triggers held while the store is down; past it the oldest are dropped (logged). */
const MAX_HELD = 10_000;
const STORE_RETRY_MS = 1000;
/** At most how long "this app has (no) targets" is believed before the store is asked again. */
const GATE_TTL_MS = 1000;

interface Item {
  appId: string;
  /** One message per channel, in the trigger's order. */
  messages: NotifyMessage[];
}

export interface FanoutOptions {
  targets: Pick<TargetsReads, 'hasAny' | 'forChannels'>;
  queue: Pick<QueueWrites<NewNotification>, 'enqueue'>;
  logger: Logger;
  /** Called after notifications were queued. */
  onQueued?: (count: number) => void;
}

/** The notifications one trigger makes: each target once, the first channel's message. */
export function pick(
  appId: string,
  messages: NotifyMessage[],
  found: Array<NotifyTarget & { via: string }>,
  now: number,
): NewNotification[] {
  const out: NewNotification[] = [];
  const seen = new Set<string>();
  for (const m of messages) {
    const here = found
      .filter((t) => t.via === m.channel)
      .sort((a, b) => Number(b.channel === m.channel) - Number(a.channel === m.channel));
    let body: string | undefined;
    for (const t of here) {
      const id = `${t.kind}\n${t.address}`;
      if (seen.has(id)) continue;
      seen.add(id);
      body ??= JSON.stringify(m);
      out.push({ appId, kind: t.kind, address: t.address, target: t.target, body, createdAt: now, nextAttemptAt: now });
    }
  }
  return out;
}

export class Fanout {
  readonly observer: HubObserver;
  private items: Item[] = [];
  private scheduled?: NodeJS.Immediate | NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  /** App id → has targets; all forgotten every GATE_TTL_MS, so no report reads the clock. */
  private readonly gate = new Map<string, boolean>();
  private readonly gateTimer: NodeJS.Timeout;
  private closed = false;
  private dropped = 0;
  private errorLoggedAt = 0;

  constructor(private readonly o: FanoutOptions) {
    this.gateTimer = setInterval(() => this.gate.clear(), GATE_TTL_MS);
    this.gateTimer.unref();
    this.observer = {
      eventTriggered: (appId, e) => {
        if (this.skip(appId)) return;
        const stored = e.stored;
        const extras: Record<string, unknown> = {};
        for (const k of MESSAGE_EXTRAS) if (e.notify?.[k] !== undefined) extras[k] = e.notify[k];
        this.add(
          appId,
          e.channels.map((channel) => {
            const s = stored?.get(channel);
            return {
              channel,
              event: e.event,
              data: e.data,
              ...(s ? { mid: s.mid, timestamp: s.timestamp } : {}),
              ...extras,
            };
          }),
        );
      },
      clientEvent: (appId, e) => {
        if (this.skip(appId)) return;
        this.add(appId, [
          {
            channel: e.channel,
            event: e.event,
            data: e.data,
            ...(e.userId !== undefined ? { user_id: e.userId } : {}),
          },
        ]);
      },
    };
  }

  /** A target was just registered on this node: no waiting for the gate to expire. */
  targetAdded(appId: string): void {
    this.gate.set(appId, true);
  }

  /** Closed, or the app is known (for a second) to have no targets: the cheapest path, no allocation. */
  private skip(appId: string): boolean {
    if (this.closed) return true;
    return this.gate.get(appId) === false;
  }

  private add(appId: string, messages: NotifyMessage[]): void {
    this.items.push({ appId, messages });
    if (this.items.length > MAX_HELD) {
      this.items.shift();
      this.dropped++;
    }
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.scheduled) return;
    const run = () => {
      this.scheduled = undefined;
      this.running = this.running.then(() => this.run());
    };
    this.scheduled = ms > 0 ? setTimeout(run, ms) : setImmediate(run);
  }

  private async hasTargets(appId: string): Promise<boolean> {
    const known = this.gate.get(appId);
    if (known !== undefined) return known;
    const has = await this.o.targets.hasAny(appId);
    if (this.gate.size > 10_000) this.gate.clear();
    this.gate.set(appId, has);
    return has;
  }

  private async run(): Promise<void> {
    const batch = this.items.splice(0);
    const rows: NewNotification[] = [];
    try {
      for (const { appId, messages } of batch) {
        if (!(await this.hasTargets(appId))) continue;
        const found = await this.o.targets.forChannels(
          appId,
          messages.map((m) => m.channel),
        );
        rows.push(...pick(appId, messages, found, Date.now()));
      }
      await this.o.queue.enqueue(rows);
    } catch (err) {
      // Store down: keep the whole batch (bounded, oldest dropped) and look it up again shortly.
      this.items.unshift(...batch);
      const over = this.items.length - MAX_HELD;
      if (over > 0) {
        this.items.splice(0, over);
        this.dropped += over;
      }
      this.storeError(err);
      if (!this.closed) this.schedule(STORE_RETRY_MS);
      return;
    }
    if (this.dropped) {
      this.o.logger.error({ dropped: this.dropped }, 'notification triggers dropped while the store was unavailable');
      this.dropped = 0;
    }
    if (rows.length) this.o.onQueued?.(rows.length);
  }

  private storeError(err: unknown): void {
    const now = Date.now();
    if (now - this.errorLoggedAt < 10_000) return;
    this.errorLoggedAt = now;
    this.o.logger.error(
      { err: (err as Error)?.message ?? String(err), held: this.items.length },
      'notifications could not be queued; retrying',
    );
  }

  /** Triggers waiting to be looked up. */
  get held(): number {
    return this.items.length;
  }

  /** Queues what is held now, then stops taking reports. */
  async close(): Promise<void> {
    if (this.scheduled) {
      clearTimeout(this.scheduled as NodeJS.Timeout);
      clearImmediate(this.scheduled as NodeJS.Immediate);
      this.scheduled = undefined;
    }
    this.closed = true;
    clearInterval(this.gateTimer);
    await this.running;
    if (this.items.length) await (this.running = this.run());
  }
}
