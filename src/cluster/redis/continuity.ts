// Delivery continuity across nodes. Events of channels with recovery on are appended to the
// channel's stream in Redis and published in one script (stream-scripts.ts), so their offsets are
// the cluster's. A read of a stream (a resume, or a catch-up after an outage) also publishes a
// marker for this node on the channel's topic: a topic's messages reach a node in publish order, so
// when the marker arrives every
// event up to the read's last offset has arrived too, and none after it. That is the moment a
// resuming subscriber joins (its replay is the stream, newer events reach it live) and a caught-up
// channel's held events are let through. A gap beyond the window closes that channel's subscribers
// here with 4200, so they resume and learn `recovered: false`, never left unaware.
import type { Logger } from 'pino';
import { USER_CHANNEL_PREFIX } from '../../protocol/channels.ts';
import { randomHex } from '../../protocol/ids.ts';
import { type Position, type Since, withPosition } from '../../protocol/positions.ts';
import type { ClusterEvents, LocalView, Recovery } from '../adapter.ts';
import { channelKey, splitChannelKey } from '../channel-key.ts';
import type { Names } from './bus.ts';
import type { RedisLink } from './redis-link.ts';
import type { StreamScripts } from './stream-scripts.ts';

const CLOSE = 0x7d; // '}'
/** How long a read waits for its marker, and a resume for its channel's catch-up. */
const WAIT_MS = 10_000;
/** Marker tokens of continuity reads start with this (presence's are plain numbers). */
export const READ_TOKEN = 'r';
/**
 * The position given to a subscriber that joins a channel while Redis is away and the node has no
 * position for it: no stream has this epoch (theirs are 12 hexadecimal characters), so a resume
 * from it can only be answered `recovered: false`.
 */
export const UNKNOWN_EPOCH = 'unknown';
const NOTHING: Recovery = Object.freeze({ frames: [] });
const NOT_RECOVERED: Recovery = Object.freeze({ frames: [], recovered: false });

interface Arrived extends Position {
  frame: Buffer;
  except?: string;
}

interface StreamRead extends Position {
  recovered: boolean;
  missed: (Arrived & { node: string })[];
  /** Events of the channel that arrived after the marker, before the read's reply. */
  after: Arrived[];
}

export interface ContinuityContext {
  events: ClusterEvents;
  local: LocalView;
  link: RedisLink;
  scripts: StreamScripts;
  names: Names;
  node: string;
  logger: Logger;
}

export class Continuity {
  /** The last position delivered here, per channel with local subscribers. */
  private readonly delivered = new Map<string, Position>();
  /** Set while Redis was lost and channels are not caught up: their events wait here. */
  private held?: Map<string, Arrived[]>;
  /** Resumes waiting for a held channel's catch-up, by channel. */
  private readonly waiting = new Map<string, (() => void)[]>();
  /** Reads waiting for their marker, by token. */
  private readonly markers = new Map<string, (arrived: boolean) => void>();
  /** Reads past their marker and waiting for their reply: the channel's arrivals, by channel. */
  private readonly collecting = new Map<string, Set<Arrived[]>>();
  private tokens = 0;

  constructor(private readonly ctx: ContinuityContext) {}

  /**
   * Appends the event to its channel's stream and publishes it, when the app keeps streams; false
   * when it does not (the caller publishes the frame as it is). `head` is the bus header.
   */
  append(
    appId: string,
    channel: string,
    frame: Buffer,
    except: string | undefined,
    head: unknown[],
    cacheTtlMs = 0,
  ): boolean {
    const limits = this.ctx.local.streamLimits(appId);
    if (!limits || channel.startsWith(USER_CHANNEL_PREFIX) || frame[frame.length - 1] !== CLOSE) return false;
    const headOpen = JSON.stringify(head).slice(0, -1);
    const frameOpen = frame.subarray(0, frame.length - 1);
    const { names, node, scripts, link } = this.ctx;
    const topic = names.topic(appId, channel);
    const keys: [string, string, string] = [names.key(topic, 'sm'), names.key(topic, 's'), names.key(topic, 'last')];
    const args = [randomHex(6), limits.maxEvents, limits.windowMs, headOpen, frameOpen, except ?? '', node];
    const appended = () => scripts.append(keys, ...args, topic, link.pub, cacheTtlMs);
    if (!cacheTtlMs) link.send(appended);
    else {
      // The cache entry this node made before the event had a position takes it: the one every node has.
      const cache = ([epoch, offset]: [string, number]) =>
        this.ctx.events.cacheEvent(appId, channel, withPosition(frame, epoch, offset), cacheTtlMs);
      link.send(() => appended().then(cache));
    }
    return true;
  }

  /** An event from its channel's topic with its position: false when it must wait for its channel's catch-up. */
  arrived(appId: string, channel: string, p: Arrived): boolean {
    const k = channelKey(appId, channel);
    const lists = this.collecting.get(k);
    if (lists) for (const list of lists) list.push(p);
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

  /** A marker published to this node arrived: the read that sent it may go on. */
  marker(token: string): void {
    this.markers.get(token)?.(true);
  }

  /** The position for a new subscriber and, with `since`, what it missed (docs/protocol.md). */
  recover(appId: string, channel: string, since: Since | undefined): Recovery | Promise<Recovery> {
    const limits = this.ctx.local.streamLimits(appId);
    if (!limits || channel.startsWith(USER_CHANNEL_PREFIX)) return since ? NOT_RECOVERED : NOTHING;
    const k = channelKey(appId, channel);
    if (!this.ctx.link.up) return this.recoverCut(k, since !== undefined);
    const known = this.delivered.get(k);
    if (!since && known && !this.held?.has(k)) return { frames: [], position: { ...known } };
    // A channel still catching up after an outage: its position is not settled yet.
    const settled = this.held?.has(k) ? this.caughtUp(k) : undefined;
    const read = () => this.read(appId, channel, limits.windowMs, since);
    return (settled ? settled.then(read) : read()).then(
      (r) => {
        const last = this.delivered.get(k);
        if (!last || last.epoch !== r.epoch || last.offset < r.offset) {
          this.delivered.set(k, { epoch: r.epoch, offset: r.offset });
        }
        const mine = (m: Arrived) => since?.socketId !== undefined && m.except === since.socketId;
        const replay: Arrived[] = r.recovered && since ? r.missed.filter((m) => !mine(m)) : [];
        // Delivered here while the reply was on its way, before this subscriber joins: its too.
        let offset = r.offset;
        for (const a of r.after) {
          if (a.epoch !== r.epoch || a.offset <= offset) continue;
          if (!mine(a)) replay.push(a);
          offset = a.offset;
        }
        const frames = replay.map((a) => a.frame);
        const position = { epoch: r.epoch, offset };
        return { frames, position, recovered: since ? r.recovered : undefined };
      },
      () => (since ? NOT_RECOVERED : NOTHING),
    );
  }

  /**
   * A subscribe while Redis is away: the channel is held for the catch-up from the last position
   * delivered here (the subscriber gets every event after it), or from the unknown position when
   * there is none, whose catch-up can only close the channel's subscribers with 4200.
   */
  private recoverCut(k: string, resume: boolean): Recovery {
    let position = this.delivered.get(k);
    if (!position) this.delivered.set(k, (position = { epoch: UNKNOWN_EPOCH, offset: 0 }));
    this.held ??= new Map();
    if (!this.held.has(k)) this.held.set(k, []);
    return { frames: [], position: { ...position }, recovered: resume ? false : undefined };
  }

  /** No local subscriber left on the channel. */
  dropped(appId: string, channel: string): void {
    this.delivered.delete(channelKey(appId, channel));
  }

  /** Redis dropped: what the topics deliver for these channels from now on may follow a gap. */
  lost(): void {
    // A new map (keeping what waits already): a catch-up still running for the old one stops.
    const held = new Map(this.held);
    for (const k of this.delivered.keys()) if (!held.has(k)) held.set(k, []);
    this.held = held;
    for (const fail of [...this.markers.values()]) fail(false); // markers will not come now
  }

  /** Redis is back: fills each channel's gap from its stream, then lets held events through. */
  async catchUp(): Promise<void> {
    const held = this.held;
    if (!held) return;
    await Promise.all([...held.keys()].map((k) => this.catchUpOne(k, held)));
    if (this.held !== held) return;
    this.held = undefined;
    for (const k of [...this.waiting.keys()]) this.settled(k);
  }

  private async catchUpOne(k: string, held: Map<string, Arrived[]>): Promise<void> {
    const [appId, channel] = splitChannelKey(k);
    const since = this.delivered.get(k);
    const limits = this.ctx.local.streamLimits(appId);
    let r: StreamRead | undefined;
    if (since && limits) r = await this.read(appId, channel, limits.windowMs, since).catch(() => undefined);
    if (this.held !== held) return; // lost again meanwhile: the next catch-up starts over
    if (!r?.recovered) {
      if (since) {
        this.ctx.logger.warn(
          { appId, channel },
          'redis outage: events missed beyond recovery; subscribers must resume',
        );
        this.ctx.events.reconnectSubscribers(appId, channel);
      }
      this.delivered.delete(k);
      held.delete(k);
      this.settled(k);
      return;
    }
    // What waited: events up to the read's offset are in the read too; newer ones came after its marker.
    const waited = held.get(k) ?? [];
    const came = new Set(waited.filter((a) => a.epoch === r.epoch).map((a) => a.offset));
    // Our own events published while Redis was away were delivered here then; the rest were not.
    for (const m of r.missed) {
      if (m.node !== this.ctx.node || came.has(m.offset)) this.ctx.events.deliver(appId, channel, m.frame, m.except);
    }
    let offset = r.offset;
    for (const a of waited) {
      if (a.epoch !== r.epoch || a.offset <= offset) continue;
      this.ctx.events.deliver(appId, channel, a.frame, a.except);
      offset = a.offset;
    }
    this.delivered.set(k, { epoch: r.epoch, offset });
    held.delete(k);
    this.settled(k);
  }

  /** Resolves once the channel is no longer held (or after a bound: then it reads as it can). */
  private caughtUp(k: string): Promise<void> {
    return new Promise((resolve) => {
      const list = this.waiting.get(k) ?? [];
      this.waiting.set(k, list);
      const timer = setTimeout(resolve, WAIT_MS);
      list.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The channel is caught up (or given up): resumes waiting for it go on. */
  private settled(k: string): void {
    const list = this.waiting.get(k);
    this.waiting.delete(k);
    for (const resume of list ?? []) resume();
  }

  /** Reads the stream after `since` and waits for the read's marker (see the header). */
  private async read(appId: string, channel: string, windowMs: number, since: Since | undefined): Promise<StreamRead> {
    const { names, scripts, node, link } = this.ctx;
    const token = `${READ_TOKEN}${++this.tokens}`;
    const k = channelKey(appId, channel);
    const after: Arrived[] = [];
    const marked = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), WAIT_MS);
      const finish = (arrived: boolean) => {
        clearTimeout(timer);
        this.markers.delete(token);
        if (arrived) this.collect(k, after, true);
        resolve(arrived);
      };
      this.markers.set(token, finish);
    });
    let out: (string | number | Buffer)[];
    try {
      const args = [randomHex(6), windowMs, since?.epoch ?? '', since?.offset ?? 0, node, token];
      const topic = names.topic(appId, channel);
      const keys: [string, string] = [names.key(topic, 'sm'), names.key(topic, 's')];
      out = await scripts.recover(keys, ...args, topic, link.pub);
    } catch (err) {
      this.markers.get(token)?.(false);
      this.collect(k, after, false);
      throw err;
    }
    const confirmed = await marked;
    this.collect(k, after, false);
    if (!confirmed) throw new Error('the stream read was not confirmed on its topic');
    const epoch = String(out[0]);
    const offset = Number(out[1]);
    // Lua checked that the entries are exactly offsets since + 1 … offset, oldest first.
    const missed: StreamRead['missed'] = [];
    for (let i = 3, next = (since?.offset ?? 0) + 1; i + 2 < out.length; i += 3, next++) {
      const except = String(out[i + 1]) || undefined;
      missed.push({ epoch, offset: next, frame: out[i] as Buffer, except, node: String(out[i + 2]) });
    }
    return { epoch, offset, recovered: Number(out[2]) === 1, missed, after };
  }

  private collect(k: string, list: Arrived[], on: boolean): void {
    let lists = this.collecting.get(k);
    if (on) {
      if (!lists) this.collecting.set(k, (lists = new Set()));
      lists.add(list);
    } else if (lists?.delete(list) && lists.size === 0) {
      this.collecting.delete(k);
    }
  }
}
