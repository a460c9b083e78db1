// The channels this node listens to in Redis: a channel's topic is listened to while the node has
// subscribers on it (or a subscribe is on its way), and dropped when the last one leaves. Our own
// events on a listened channel wait here until they come back on its topic, then are delivered,
// so local subscribers see them in the order every node does; on other channels (nobody here to
// order for) and while Redis is away they are delivered at once.
import { channelRules } from '../../protocol/channels.ts';
import type { ClusterEvents, LocalView } from '../adapter.ts';
import type { Names } from './bus.ts';
import type { RedisLink } from './redis-link.ts';

/** Own events awaited back from Redis; past it (a stuck subscriber) we deliver directly. */
const MAX_INFLIGHT = 100_000;

interface Inflight {
  seq: number;
  frame: Buffer;
  except?: string;
}

interface Interest {
  appId: string;
  channel: string;
  /** Resolves once the topic is listened to (and a cache channel's last event is known). */
  ready: Promise<void>;
  live: boolean;
  /** Subscribes waiting for `ready`: the topic stays while any is on its way. */
  joining: number;
  inflight: Inflight[];
}

export interface InterestContext {
  names: Names;
  link: RedisLink;
  events: ClusterEvents;
  local: LocalView;
}

export class Interests {
  private readonly byTopic = new Map<string, Interest>();
  private inflight = 0;
  private seq = 0;

  constructor(private readonly ctx: InterestContext) {}

  /** A subscribe is coming: undefined when the topic is listened to already, else when it will be. */
  join(appId: string, channel: string): Promise<void> | undefined {
    const i = this.ensure(appId, channel);
    if (i.live) return undefined;
    i.joining++;
    return i.ready;
  }

  /** The subscribe that `join` waited for went on (joined, or its socket left meanwhile). */
  joined(appId: string, channel: string): void {
    const i = this.byTopic.get(this.ctx.names.topic(appId, channel));
    if (!i) return;
    i.joining--;
    this.dropLater(i);
  }

  /** The node's subscriber count of the channel changed (forced joins listen from here). */
  changed(appId: string, channel: string, count: number): void {
    if (count > 0) this.ensure(appId, channel);
    else {
      const i = this.byTopic.get(this.ctx.names.topic(appId, channel));
      if (i) this.dropLater(i);
    }
  }

  /** An event of ours is leaving: its sequence number to await back, or 0 once delivered here. */
  sent(appId: string, channel: string, frame: Buffer, except: string | undefined): number {
    const i = this.byTopic.get(this.ctx.names.topic(appId, channel));
    if (i?.live && this.ctx.link.up && this.inflight < MAX_INFLIGHT) {
      const seq = ++this.seq;
      i.inflight.push({ seq, frame, except });
      this.inflight++;
      return seq;
    }
    this.ctx.events.deliver(appId, channel, frame, except);
    return 0;
  }

  /** One of our events came back: false when it was delivered here already. */
  returned(appId: string, channel: string, seq: number): boolean {
    const q = this.byTopic.get(this.ctx.names.topic(appId, channel))?.inflight;
    if (!seq || !q?.length || q[0].seq > seq) return false;
    while (q.length && q[0].seq <= seq) {
      q.shift();
      this.inflight--;
    }
    return true;
  }

  /** Redis dropped: our events will not come back now; deliver them here. */
  lost(): void {
    for (const i of this.byTopic.values()) {
      for (const e of i.inflight) this.ctx.events.deliver(i.appId, i.channel, e.frame, e.except);
      this.inflight -= i.inflight.length;
      i.inflight = [];
    }
  }

  get size(): number {
    return this.byTopic.size;
  }

  private ensure(appId: string, channel: string): Interest {
    const topic = this.ctx.names.topic(appId, channel);
    let i = this.byTopic.get(topic);
    if (i) return i;
    const interest: Interest = { appId, channel, ready: Promise.resolve(), live: false, joining: 0, inflight: [] };
    const listened = this.ctx.link.listen(topic);
    // Nodes without subscribers do not hear a cache channel's events: its last one is read once.
    const ready = channelRules(channel).cache ? listened.then(() => this.readCache(appId, channel)) : listened;
    interest.ready = ready.then(() => {
      if (this.byTopic.get(topic) === interest) interest.live = true;
    });
    this.byTopic.set(topic, (i = interest));
    return i;
  }

  private async readCache(appId: string, channel: string): Promise<void> {
    if (!this.ctx.link.up) return;
    const key = this.ctx.names.channelKey(appId, channel, 'last');
    try {
      const [frame, ttl] = await Promise.all([this.ctx.link.cmd.getBuffer(key), this.ctx.link.cmd.pttl(key)]);
      if (frame && ttl > 0) this.ctx.events.cacheEvent(appId, channel, frame, ttl);
    } catch {
      // no cached event known here: a cache_miss, as after an expiry
    }
  }

  /** Stops listening once nothing holds the channel (checked after this turn's joins). */
  private dropLater(i: Interest): void {
    setImmediate(() => {
      const topic = this.ctx.names.topic(i.appId, i.channel);
      if (this.byTopic.get(topic) !== i || i.joining > 0 || this.ctx.local.subscribers(i.appId, i.channel) > 0) return;
      this.byTopic.delete(topic);
      this.inflight -= i.inflight.length;
      this.ctx.link.unlisten(topic);
    });
  }
}
