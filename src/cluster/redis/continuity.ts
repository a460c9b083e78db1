// Delivery continuity across nodes. Events of channels with recovery on are appended to the
// channel's stream in Redis and published in one script (stream-scripts.ts), so their offsets are
// the cluster's. This node remembers the last position it delivered per channel with local
// subscribers. A subscriber that resumes reads the stream; events that reach this node while the
// read is in flight are recorded and added to its replay. After a Redis outage the node catches
// each channel up from the stream, holding newer events back until the gap is filled, and tells
// the subscribers of a channel it cannot catch up to reconnect (4200), never leaving them unaware.
import type { Logger } from 'pino';
import { USER_CHANNEL_PREFIX } from '../../protocol/channels.ts';
import { randomHex } from '../../protocol/ids.ts';
import type { Position, Since } from '../../protocol/positions.ts';
import type { ClusterEvents, LocalView, Recovery } from '../adapter.ts';
import { encodeApp } from './bus.ts';
import type { RedisLink } from './redis-link.ts';
import type { StreamScripts } from './stream-scripts.ts';

const CLOSE = 0x7d; // '}'
const NOTHING: Recovery = Object.freeze({ frames: [] });
const NOT_RECOVERED: Recovery = Object.freeze({ frames: [], recovered: false });

interface Arrived extends Position {
  frame: Buffer;
  except?: string;
}

export interface ContinuityContext {
  events: ClusterEvents;
  local: LocalView;
  link: RedisLink;
  scripts: StreamScripts;
  prefix: string;
  node: string;
  logger: Logger;
  /** Registered and connected. */
  online(): boolean;
}

const key = (appId: string, channel: string) => `${appId}\0${channel}`;

export class Continuity {
  /** The last position delivered here, per channel with local subscribers. */
  private readonly delivered = new Map<string, Position>();
  /** Events that arrived while a resume read was in flight, per channel. */
  private readonly recording = new Map<string, { waiters: number; arrived: Arrived[] }>();
  /** Set while Redis was lost and channels are not caught up: their events wait here. */
  private held?: Map<string, Arrived[]>;

  constructor(private readonly ctx: ContinuityContext) {}

  /**
   * Appends the event to its channel's stream and publishes it, when the app keeps streams; false
   * when it does not (the caller publishes the frame as it is). `head` is the bus header.
   */
  append(appId: string, channel: string, frame: Buffer, except: string | undefined, head: unknown[]): boolean {
    const limits = this.ctx.local.streamLimits(appId);
    if (!limits || channel.startsWith(USER_CHANNEL_PREFIX) || frame[frame.length - 1] !== CLOSE) return false;
    const headOpen = JSON.stringify(head).slice(0, -1);
    const frameOpen = frame.subarray(0, frame.length - 1);
    const { prefix, node, scripts } = this.ctx;
    const args = [prefix, encodeApp(appId), channel, randomHex(6), limits.maxEvents, limits.windowMs, headOpen];
    this.ctx.link.send(() => scripts.append(...args, frameOpen, except ?? '', node));
    return true;
  }

  /**
   * An event from the bus with its position: false when it must wait for its channel's catch-up.
   */
  arrived(appId: string, channel: string, p: Arrived): boolean {
    const k = key(appId, channel);
    this.recording.get(k)?.arrived.push(p);
    const held = this.held?.get(k);
    if (held) {
      held.push(p);
      return false;
    }
    const last = this.delivered.get(k); // updated in place: no object per event
    if (last) {
      last.epoch = p.epoch;
      last.offset = p.offset;
    } else if (this.ctx.local.subscribers(appId, channel) > 0) {
      this.delivered.set(k, { epoch: p.epoch, offset: p.offset });
    }
    return true;
  }

  /** The position for a new subscriber and, with `since`, what it missed (docs/protocol.md). */
  recover(appId: string, channel: string, since: Since | undefined): Recovery | Promise<Recovery> {
    const limits = this.ctx.local.streamLimits(appId);
    if (!limits || channel.startsWith(USER_CHANNEL_PREFIX)) return since ? NOT_RECOVERED : NOTHING;
    const k = key(appId, channel);
    const known = this.delivered.get(k);
    if (!since && known && !this.held) return { frames: [], position: { ...known } };
    if (!this.ctx.online() || this.held) return since ? NOT_RECOVERED : NOTHING;
    let rec = this.recording.get(k);
    if (!rec) this.recording.set(k, (rec = { waiters: 0, arrived: [] }));
    rec.waiters++;
    const done = () => {
      if (--rec.waiters === 0) this.recording.delete(k);
    };
    return this.read(appId, channel, limits.windowMs, since).then(
      (r) => {
        done();
        const mine = (a: Arrived) => since?.socketId !== undefined && a.except === since.socketId;
        const frames: Arrived[] = r.recovered ? r.missed.filter((m) => !mine(m)) : [];
        let offset = r.offset;
        for (const a of rec.arrived) {
          if (a.epoch !== r.epoch || a.offset <= offset) continue;
          if (!mine(a)) frames.push(a);
          offset = a.offset;
        }
        const last = this.delivered.get(k);
        if (!last || last.epoch !== r.epoch || last.offset < offset) this.delivered.set(k, { epoch: r.epoch, offset });
        const position = { epoch: r.epoch, offset };
        return { frames: frames.map((f) => f.frame), position, recovered: since ? r.recovered : undefined };
      },
      () => {
        done();
        return since ? NOT_RECOVERED : NOTHING;
      },
    );
  }

  /** No local subscriber left on the channel. */
  dropped(appId: string, channel: string): void {
    this.delivered.delete(key(appId, channel));
  }

  /** Redis dropped: what the bus delivers for these channels from now on may follow a gap. */
  lost(): void {
    this.held ??= new Map([...this.delivered.keys()].map((k) => [k, []]));
  }

  /** Redis is back: fills each channel's gap from its stream, then lets held events through. */
  async catchUp(): Promise<void> {
    const held = this.held;
    if (!held) return;
    const channels = [...this.delivered.keys()];
    await Promise.all(channels.map((k) => this.catchUpOne(k, held)));
    // Channels this node had no position for: nothing to fill, deliver what waited.
    for (const [k, list] of held) this.release(k, list);
    if (this.held === held) this.held = undefined;
  }

  private async catchUpOne(k: string, held: Map<string, Arrived[]>): Promise<void> {
    const cut = k.indexOf('\0');
    const appId = k.slice(0, cut);
    const channel = k.slice(cut + 1);
    const since = this.delivered.get(k);
    const limits = this.ctx.local.streamLimits(appId);
    if (!since || !limits) return;
    let r: Awaited<ReturnType<Continuity['read']>>;
    try {
      r = await this.read(appId, channel, limits.windowMs, since);
    } catch {
      r = { epoch: '', offset: 0, recovered: false, missed: [] };
    }
    if (this.held !== held) return;
    if (!r.recovered) {
      this.ctx.logger.warn(
        { appId, channel },
        'redis outage: events missed beyond the recovery window; subscribers told to reconnect',
      );
      this.delivered.delete(k);
      held.delete(k);
      this.ctx.events.reconnectSubscribers(appId, channel);
      return;
    }
    for (const m of r.missed) if (m.node !== this.ctx.node) this.ctx.events.deliver(appId, channel, m.frame, m.except);
    this.delivered.set(k, { epoch: r.epoch, offset: r.offset });
    this.release(k, held.get(k) ?? []);
    held.delete(k);
  }

  /** Delivers events that waited for their channel's catch-up, skipping what it already covered. */
  private release(k: string, list: Arrived[]): void {
    const cut = k.indexOf('\0');
    const appId = k.slice(0, cut);
    const channel = k.slice(cut + 1);
    for (const a of list) {
      const last = this.delivered.get(k);
      if (last && last.epoch === a.epoch && a.offset <= last.offset) continue;
      this.delivered.set(k, { epoch: a.epoch, offset: a.offset });
      this.ctx.events.deliver(appId, channel, a.frame, a.except);
    }
    this.held?.delete(k);
  }

  private async read(appId: string, channel: string, windowMs: number, since: Since | undefined) {
    const { prefix, scripts } = this.ctx;
    const out = await scripts.recover(
      prefix,
      encodeApp(appId),
      channel,
      randomHex(6),
      windowMs,
      since?.epoch ?? '',
      since?.offset ?? 0,
    );
    const epoch = String(out[0]);
    const offset = Number(out[1]);
    // Lua checked that the entries are exactly offsets since + 1 … offset, oldest first.
    const missed: (Arrived & { node: string })[] = [];
    for (let i = 3, next = (since?.offset ?? 0) + 1; i + 2 < out.length; i += 3, next++) {
      const except = String(out[i + 1]);
      missed.push({
        epoch,
        offset: next,
        frame: out[i] as Buffer,
        except: except || undefined,
        node: String(out[i + 2]),
      });
    }
    return { epoch, offset, recovered: Number(out[2]) === 1, missed };
  }
}
