// A network cut between subscribers and Pushi while events keep coming: the Pushi client and
// pusher-js with pushi/pusher-js subscribe to many channels through a TCP proxy, a publisher triggers
// numbered events over HTTP at a steady rate, the proxy drops every client connection and refuses
// new ones for a while, then lets them back. Each client's record shows what it lost, saw twice or
// saw out of order per channel, and which resumes were recovered. Shared by test/recovery and
// scripts/continuity.mjs (the long cut).
import { api, TcpProxy } from '../hardening/fault-kit.ts';
import { appsFileEnv, createPusher, disconnectAll, subscribed, waitUntil } from '../helpers/pusher-js.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { client as pushiClient, connected, next } from '../client/util.ts';
import { recover } from '../../src/pusher-js/index.ts';

export interface ContinuityOptions {
  channels: number;
  /** Events per second over all channels. */
  rate: number;
  cutSeconds: number;
  /** Publishing before the cut and after the clients are back. */
  beforeSeconds?: number;
  afterSeconds?: number;
  /** App options; undefined keeps the server's defaults. */
  recoveryWindowSeconds?: number;
  recoveryMaxEvents?: number;
  /** How long the clients may take to come back and catch up after the cut. */
  settleSeconds?: number;
}

/** What one client received. */
export interface ClientReport {
  name: string;
  received: number;
  lost: number;
  /** Lost on channels whose resume did not say recovery_failed: losses the app was not told about. */
  silentlyLost: number;
  duplicated: number;
  outOfOrder: number;
  /** Channels whose resume said recovered: true / false. */
  recovered: number;
  recoveryFailed: number;
  /** From the proxy letting connections back to the last channel's recovered / recovery_failed, ms. */
  resumedAfterMs: number;
}

export interface ContinuityReport {
  published: number;
  /** Publishing rate measured over the whole run, events/s. */
  rate: number;
  cutMs: number;
  clients: ClientReport[];
}

/** Per channel, the numbers an app received, and the channels that signalled the resume outcome. */
class Tally {
  readonly got: number[][];
  readonly outcome = new Map<string, { recovered: boolean; at: number }>();
  /** Channels subscribed again since the cut (set when the cut starts). */
  resubscribed?: Set<string>;
  constructor(
    readonly name: string,
    channels: number,
  ) {
    this.got = Array.from({ length: channels }, () => []);
  }

  subscribed(channel: string): void {
    this.resubscribed?.add(channel);
  }

  signal(channel: string, recovered: boolean): void {
    this.outcome.set(channel, { recovered, at: Date.now() });
  }

  has(last: number[]): boolean {
    return this.got.every((seq, i) => last[i] === 0 || seq.includes(last[i]));
  }

  report(last: number[], restoredAt: number): ClientReport {
    let received = 0;
    let lost = 0;
    let silentlyLost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    this.got.forEach((seq, i) => {
      received += seq.length;
      const distinct = new Set(seq);
      duplicated += seq.length - distinct.size;
      lost += last[i] - distinct.size;
      if (this.outcome.get(channelName(i))?.recovered !== false) silentlyLost += last[i] - distinct.size;
      for (let k = 1; k < seq.length; k++) if (seq[k] <= seq[k - 1]) outOfOrder++;
    });
    const outcomes = [...this.outcome.values()];
    return {
      name: this.name,
      received,
      lost,
      silentlyLost,
      duplicated,
      outOfOrder,
      recovered: outcomes.filter((o) => o.recovered).length,
      recoveryFailed: outcomes.filter((o) => !o.recovered).length,
      resumedAfterMs: outcomes.length ? Math.max(...outcomes.map((o) => o.at)) - restoredAt : NaN,
    };
  }
}

const channelName = (i: number) => `continuity-${i}`;
const indexOf = (channel: string) => Number(channel.slice('continuity-'.length));

/** Triggers `{n}` events round-robin over the channels in batches of 10, one request at a time, at `rate`. */
class Publisher {
  /** The last number sent on each channel (0: none). */
  readonly last: number[];
  sent = 0;
  private running = false;
  private done?: Promise<void>;
  private startedAt = 0;

  constructor(
    private readonly s: TestServer,
    channels: number,
    private readonly rate: number,
  ) {
    this.last = new Array(channels).fill(0);
  }

  start(): void {
    this.running = true;
    this.startedAt = Date.now();
    this.done = this.loop();
  }

  /** Stops (idempotent); resolves with the rate achieved. */
  async stop(): Promise<number> {
    this.running = false;
    await this.done;
    return (this.sent * 1000) / (Date.now() - this.startedAt);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const due = Math.floor(((Date.now() - this.startedAt) * this.rate) / 1000) - this.sent;
      if (due <= 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const batch = [];
      for (let k = 0; k < Math.min(due, 10); k++) {
        const i = this.sent % this.last.length;
        this.sent++;
        batch.push({ channel: channelName(i), name: 'tick', data: JSON.stringify({ n: ++this.last[i] }) });
      }
      const r = await api(this.s, this.s.app, 'POST', `/apps/${this.s.app.id}/batch_events`, { body: { batch } });
      if (r.status !== 200) throw new Error(`batch trigger answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
  }
}

const until = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runContinuity(o: ContinuityOptions): Promise<ContinuityReport> {
  const appOptions: { [k: string]: number } = {};
  if (o.recoveryWindowSeconds !== undefined) appOptions.recoveryWindowSeconds = o.recoveryWindowSeconds;
  if (o.recoveryMaxEvents !== undefined) appOptions.recoveryMaxEvents = o.recoveryMaxEvents;
  const s = await startServer(Object.keys(appOptions).length ? { env: appsFileEnv(appOptions) } : {});
  const proxy = new TcpProxy('127.0.0.1', s.wsPort);
  await proxy.up();
  const names = Array.from({ length: o.channels }, (_, i) => channelName(i));
  const pushi = pushiClient({ wsPort: proxy.port });
  const pusher = createPusher(s, {}, { wsPort: proxy.port });
  let publisher: Publisher | undefined;
  try {
    const records = [new Tally('pushi client', o.channels), new Tally('pusher-js + pushi/pusher-js', o.channels)];
    const [pr, jr] = records;
    await connected(pushi);
    for (const name of names) {
      const ch = pushi.subscribe(name);
      ch.bind('tick', (_e, data) => pr.got[indexOf(name)].push(data.n));
      ch.bind('subscribe', () => pr.subscribed(name));
    }
    pushi.bind('recovered', (_e, d) => pr.signal(d.channel, true));
    pushi.bind('recovery_failed', (_e, d) => pr.signal(d.channel, false));
    const r = recover(pusher);
    r.bind('recovered', (d) => jr.signal(d.channel, true));
    r.bind('recovery_failed', (d) => jr.signal(d.channel, false));
    await Promise.all(
      names.map(async (name) => {
        const ch = await subscribed(pusher, name);
        ch.bind('tick', (data: { n: number }) => jr.got[indexOf(name)].push(data.n));
        ch.bind('pusher:subscription_succeeded', () => jr.subscribed(name));
        if (!pushi.channel(name)!.subscribed) await next(pushi.channel(name)!, 'subscribe');
      }),
    );

    publisher = new Publisher(s, o.channels, o.rate);
    publisher.start();
    await until((o.beforeSeconds ?? 1) * 1000);
    const cutAt = Date.now();
    for (const x of records) x.resubscribed = new Set();
    await proxy.down();
    await until(o.cutSeconds * 1000);
    await proxy.up();
    const restoredAt = Date.now();
    // Publish on until every channel is subscribed again, then a little more: live events after the resume.
    const settle = (o.settleSeconds ?? 30) * 1000;
    await waitUntil(() => records.every((x) => x.resubscribed!.size === o.channels), 'every channel back', settle);
    await until((o.afterSeconds ?? 1) * 1000);
    const rate = await publisher.stop();
    const last = publisher.last;
    await waitUntil(() => records.every((x) => x.has(last)), 'the last event on every channel', settle);
    return {
      published: publisher.sent,
      rate: Math.round(rate),
      cutMs: restoredAt - cutAt,
      clients: records.map((x) => x.report(last, restoredAt)),
    };
  } finally {
    await publisher?.stop();
    pushi.disconnect();
    disconnectAll();
    await proxy.down();
    await s.close();
  }
}
