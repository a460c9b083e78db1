// Scale-out through Redis, routed by interest: each channel has its own topic, and a node listens
// only to the topics of channels it has subscribers on, so its inbound traffic is what its
// subscribers want, not the cluster's whole publish rate. A topic carries the channel's events,
// member and count announcements and the markers of reads (one topic, one order); terminations and
// watchlists go over a small control bus every node hears. A node's own events come back on the
// topic and are delivered then (per-channel order is Redis' for every node alike). Presence,
// counts and watchlists are cluster-wide (redis-presence.ts, counts.ts), dead nodes are reaped
// (liveness.ts), and a node that loses Redis keeps serving its own connections, then re-registers
// everything and catches its channels up (continuity.ts).
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { HealthCheck } from '../../api/health-check.ts';
import { channelRules } from '../../protocol/channels.ts';
import { randomHex } from '../../protocol/ids.ts';
import type {
  AdapterContext,
  ChannelQueries,
  ClusterAdapter,
  ClusterEvents,
  ClusterObserver,
  LocalView,
  MemberChange,
  PresenceData,
  Recovery,
} from '../adapter.ts';
import type { Since } from '../../protocol/positions.ts';
import { decodeApp, decodeBus, encodeApp, encodeBus, Names, splitField } from './bus.ts';
import { ClusterQueries } from './cluster-queries.ts';
import type { RedisTarget } from './connect.ts';
import { Continuity, READ_TOKEN } from './continuity.ts';
import { defineStreamScripts } from './stream-scripts.ts';
import { ClusterCounts } from './counts.ts';
import { Interests } from './interest.ts';
import { entriesToWrite } from './resync.ts';
import { Liveness } from './liveness.ts';
import { RedisLink } from './redis-link.ts';
import { ClusterPresence } from './redis-presence.ts';
import { defineScripts, type Scripts } from './scripts.ts';

export interface RedisAdapterOptions {
  target: RedisTarget;
  prefix: string;
  logger: Logger;
}

const RESYNC_SLICE = 200;

export class RedisAdapter implements ClusterAdapter {
  readonly names: Names;
  readonly link: RedisLink;
  private readonly scripts: Scripts;
  private readonly presence: ClusterPresence;
  private readonly counts: ClusterCounts;
  private readonly liveness: Liveness;
  private readonly continuity: Continuity;
  private readonly logger: Logger;
  private readonly observer: ClusterObserver;
  private readonly events: ClusterEvents;
  private readonly local: LocalView;
  private registered = false;
  private synced = false;
  private resyncing = false;
  private again = false;
  private everSynced = false;
  private closing = false;
  private readonly interests: Interests;

  constructor(ctx: AdapterContext, options: RedisAdapterOptions) {
    this.events = ctx.events;
    this.local = ctx.local;
    this.logger = options.logger;
    this.names = new Names(options.prefix, `${hostname()}-${process.pid}-${randomHex(3)}`);
    this.link = new RedisLink(options.target, this.names, this.logger, {
      up: () => this.resync(),
      down: () => this.lost(),
      message: (channel, message) => this.onMessage(channel, message),
    });
    this.scripts = defineScripts(this.link.cmd);
    this.observer = ctx.observer;
    const base = {
      events: this.events,
      local: this.local,
      observer: this.observer,
      scripts: this.scripts,
      names: this.names,
      link: this.link,
      node: this.names.node,
      online: () => this.connected(),
    };
    this.presence = new ClusterPresence(base);
    this.counts = new ClusterCounts(base);
    this.interests = new Interests({ names: this.names, link: this.link, events: this.events, local: this.local });
    this.continuity = new Continuity({
      events: this.events,
      local: this.local,
      link: this.link,
      scripts: defineStreamScripts(this.link.cmd),
      names: this.names,
      node: this.names.node,
      logger: this.logger,
    });
    this.liveness = new Liveness({
      names: this.names,
      link: this.link,
      scripts: this.scripts,
      logger: this.logger,
      online: () => this.connected(),
      lostRegistration: () => this.relost(),
      undo: (node, field) => this.undo(node, field),
    });
  }

  get node(): string {
    return this.names.node;
  }

  /** Connects and registers; after `waitMs` without Redis the node starts anyway, degraded. */
  async start(waitMs = 3000): Promise<void> {
    const deadline = Date.now() + waitMs;
    await this.link.start(waitMs);
    while (!this.synced && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.liveness.start();
    if (!this.synced)
      this.logger.warn(
        { err: this.link.lastError },
        "redis not reachable yet: serving this node's connections only; retrying",
      );
  }

  /** Connected and registered: scripts run, markers arrive. */
  connected(): boolean {
    return this.registered && this.link.up && !this.closing;
  }

  /** Ready for /ready: connected and everything of ours is written back. */
  get ready(): boolean {
    return this.synced && this.link.up;
  }

  health(): HealthCheck {
    return {
      name: 'redis',
      check: async () => {
        if (this.ready) return;
        const why = this.link.up
          ? 're-syncing cluster state'
          : `unreachable${this.link.lastError ? ` (${this.link.lastError})` : ''}`;
        throw new Error(`${why}; serving this node's connections only`);
      },
    };
  }

  // ── publishing ────────────────────────────────────────────────────────────────────────────────

  /**
   * Where this node listens to the channel, our own events come back on its topic and are
   * delivered here in the order Redis gave every node (a local subscriber cannot see two triggers
   * from two nodes in another order than remote ones do). Otherwise, and while Redis is away, they
   * are delivered here at once (and wait in the outbox).
   */
  publish(appId: string, channel: string, frame: Buffer, exceptSocketId?: string, cacheTtlMs?: number): void {
    const seq = this.interests.sent(appId, channel, frame, exceptSocketId); // 0: delivered here already
    const head = ['e', this.names.node, encodeApp(appId), channel, exceptSocketId ?? '', cacheTtlMs ?? null, seq];
    // With recovery on, a script appends it to the channel's stream and publishes it with its position.
    if (this.continuity.append(appId, channel, frame, exceptSocketId, head, cacheTtlMs)) return;
    const topic = this.names.topic(appId, channel);
    const last = cacheTtlMs ? this.names.key(topic, 'last') : undefined;
    const message = encodeBus(head, frame);
    const pub = this.link.pub;
    this.link.send((cmd) => {
      if (last) void cmd.set(last, frame, 'PX', cacheTtlMs!);
      return cmd[pub](topic, message);
    });
  }

  /** Listens to the channel first (events published after that reach this node), then reads it. */
  recover(appId: string, channel: string, since: Since | undefined): Recovery | Promise<Recovery> {
    const listening = this.interests.join(appId, channel);
    if (!listening) return this.continuity.recover(appId, channel, since);
    return listening
      .then(() => this.continuity.recover(appId, channel, since))
      .finally(() => this.interests.joined(appId, channel));
  }

  /** Resolves when Redis has every event published so far (see RedisLink.published). */
  published(): Promise<unknown> {
    return this.link.published();
  }

  terminateUser(appId: string, userId: string): void {
    this.link.publish(encodeBus(['t', this.names.node, encodeApp(appId), userId]));
    this.events.terminateUser(appId, userId);
  }

  // ── presence, counts, users ───────────────────────────────────────────────────────────────────

  memberJoined(change: MemberChange): Promise<void> {
    return this.presence.memberJoined(change);
  }

  memberLeft(change: MemberChange): void {
    this.presence.memberLeft(change);
  }

  members(appId: string, channel: string, socketId: string): PresenceData {
    return this.presence.presenceData(appId, channel, socketId);
  }

  subscribersChanged(appId: string, channel: string, count: number): void {
    this.counts.mark('s', appId, channel);
    this.interests.changed(appId, channel, count);
    if (count === 0) {
      this.continuity.dropped(appId, channel);
      this.presence.dropped(appId, channel);
      this.counts.dropped(appId, channel);
    }
  }

  subscriptionCount(appId: string, channel: string): number {
    return this.counts.total(appId, channel) ?? this.local.subscribers(appId, channel);
  }

  userChanged(appId: string, userId: string, online: boolean): void {
    if (this.connected()) {
      this.counts.mark('u', appId, userId);
      return;
    }
    // Redis unreachable: tell this node's watchers; the resync announces it cluster-wide later.
    this.events.watchlist(appId, userId, online);
  }

  async online(appId: string, userIds: string[]): Promise<string[]> {
    const isHere = (id: string) => this.local.userConnections(appId, id) > 0;
    const here = userIds.filter(isHere);
    if (!this.connected() || userIds.length === 0) return here;
    try {
      const totals = await this.link.cmd.hmget(this.names.appKey(appId, 'u'), ...userIds);
      return userIds.filter((id, i) => isHere(id) || Number(totals[i] ?? 0) > 0);
    } catch {
      return here;
    }
  }

  queries(local: ChannelQueries): ChannelQueries {
    return new ClusterQueries(this, local);
  }

  // ── topics and the control bus ────────────────────────────────────────────────────────────────

  private onMessage(_topic: string, message: Buffer): void {
    const msg = decodeBus(message);
    if (!msg) return;
    const h = msg.header;
    const from = h[1];
    switch (h[0]) {
      case 'e': {
        const appId = decodeApp(String(h[2]));
        const name = String(h[3]);
        if (from === this.names.node) {
          if (!this.interests.returned(appId, name, Number(h[6]))) return; // delivered here already
        } else if (typeof h[5] === 'number' && channelRules(name).cache) {
          this.events.cacheEvent(appId, name, msg.payload, h[5]);
        }
        const except = h[4] ? String(h[4]) : undefined;
        // Positioned events pass through continuity: held while the channel catches up, deduplicated.
        const offset = h[8];
        if (typeof offset === 'number') {
          const arrived = { epoch: String(h[7]), offset, frame: msg.payload, except };
          if (!this.continuity.arrived(appId, name, arrived)) return;
        }
        this.events.deliver(appId, name, msg.payload, except);
        return;
      }
      case 't':
        if (from !== this.names.node) this.events.terminateUser(decodeApp(String(h[2])), String(h[3]));
        return;
      case 'm+':
      case 'm-':
        this.presence.memberEvent(decodeApp(String(h[2])), String(h[3]), String(h[4]), h[0] === 'm+', msg.payload);
        return;
      case 'k': // a marker on a channel's topic: for the node it names only
        if (from !== this.names.node) return;
        if (String(h[2]).startsWith(READ_TOKEN)) this.continuity.marker(String(h[2]));
        else this.presence.marker(String(h[2]), Number(h[3]), msg.payload);
        return;
      case 'w':
        this.events.watchlist(decodeApp(String(h[2])), String(h[3]), h[4] === 'online');
        return;
      case 'c':
        this.counts.heard(decodeApp(String(h[2])), String(h[3]), Number(h[4]));
        return;
    }
  }

  /** Pub/sub traffic received and channels listened to (for /metrics). */
  stats(): { inboundMessages: number; inboundBytes: number; topics: number } {
    const { messages, bytes } = this.link.inbound;
    return { inboundMessages: messages, inboundBytes: bytes, topics: this.interests.size };
  }

  /** Writes zero in a (dead) node's name for one entry of its index (liveness.ts). */
  private async undo(node: string, field: string): Promise<void> {
    const f = splitField(field);
    if (f?.kind === 'p' && f.user !== undefined) {
      const r = await this.presence.write(f.appId, f.name, f.user, 0, { node });
      if (r === 2) this.observer.memberRemoved?.(f.appId, f.name, f.user);
    } else if (f?.kind === 's' || f?.kind === 'u') {
      this.counts.changed(await this.counts.writeOne(f.kind, f.appId, f.name, node, 0));
    }
  }

  // ── losing and regaining Redis ────────────────────────────────────────────────────────────────

  private lost(): void {
    this.registered = false;
    this.synced = false;
    this.continuity.lost();
    this.interests.lost(); // our own events may never come back now: delivered here
    this.presence.lost();
    if (!this.closing)
      this.logger.warn(
        { err: this.link.lastError || undefined },
        "redis connection lost: serving this node's connections only until it is back",
      );
  }

  /** Redis says we are not registered (reaped after a long pause): write everything again. */
  private relost(): void {
    this.registered = false;
    this.synced = false;
    this.resync();
  }

  private resync(): void {
    if (this.closing) return;
    if (this.resyncing) {
      this.again = true;
      return;
    }
    this.resyncing = true;
    void this.continuity.catchUp();
    void (async () => {
      do {
        this.again = false;
        try {
          await this.resyncOnce();
        } catch (err) {
          this.logger.debug({ err: (err as Error).message }, 'redis resync failed; retrying');
          if (this.link.up && !this.closing) {
            await new Promise((r) => setTimeout(r, 500));
            this.again = true;
          }
        }
      } while (this.again && this.link.up && !this.closing);
      this.resyncing = false;
      if (this.registered && this.link.up && !this.again) {
        this.synced = true;
        if (this.everSynced)
          this.logger.info({ node: this.names.node }, 'redis connection restored: cluster state re-synced');
        this.everSynced = true;
      }
    })();
  }

  /** Registers, writes every count and presence entry we hold (absolute), drops stale ones. */
  private async resyncOnce(): Promise<void> {
    this.synced = false;
    const inRedis = await this.liveness.register();
    this.registered = true;
    const held = entriesToWrite(this.local.held(), inRedis);
    await this.counts.write(held.counts);
    for (let i = 0; i < held.presence.length; i += RESYNC_SLICE) {
      await Promise.all(
        held.presence
          .slice(i, i + RESYNC_SLICE)
          .map(([appId, channel, user]) => this.presence.rewrite(appId, channel, user)),
      );
    }
    await this.presence.catchUp();
  }

  /** Leaves the cluster: our members are removed (member_removed) and our counts subtracted. */
  async close(): Promise<void> {
    this.liveness.stop();
    this.closing = true;
    this.presence.lost();
    if (this.link.commandsReady) {
      try {
        await this.link.cmd.del(this.names.heartbeat());
        await this.liveness.reap(this.names.node);
      } catch (err) {
        this.logger.debug(
          { err: (err as Error).message },
          'redis: could not remove this node on shutdown; the reaper will',
        );
      }
    }
    await this.link.close();
  }
}
