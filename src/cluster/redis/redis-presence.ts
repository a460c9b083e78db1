// Cluster-wide presence. Redis holds each channel's members (Lua decides first/last connection
// anywhere and publishes member_added/member_removed on the channel's topic). Each node keeps a MIRROR of
// the member list of the presence channels it has subscribers on, updated only from the ordered
// topic, and answers subscription_succeeded from it. A joiner waits for a marker published right
// after its own join: everything before the marker is in the list it gets, everything after
// reaches it as an event, so no member is missed or announced twice.
import { subscriptionError } from '../../protocol/errors.ts';
import type { MemberChange, PresenceData } from '../adapter.ts';
import { channelKey, splitChannelKey } from '../channel-key.ts';
import { type ClusterContext, recordInIndex } from './context.ts';
import { encodeApp } from './bus.ts';

const MARKER_TIMEOUT_MS = 10_000;
const FULL = -1;
const FALLBACK = -99;

interface Mirror {
  members: Map<string, unknown>;
  /** Members that joined with `"peer": true` (peer channels pair on it; clients never see it). */
  peers: Set<string>;
  /** In step with Redis (from a snapshot); otherwise member announcements wait for the next snapshot. */
  loaded: boolean;
  /** Joiners (socket ids) not yet sent subscription_succeeded: member events skip them. */
  pending: Set<string>;
}

/** What a member write carries besides the count (joins, markers, and the reaper's writes). */
interface MemberWrite {
  info?: unknown;
  peer?: boolean;
  maxMembers?: number;
  /** A marker for this node after the write ('' = none), with the member list when `snapshot`. */
  token?: string;
  snapshot?: boolean;
  /** Whose count it is: this node's, or a dead node's (zero). */
  node?: string;
}

/**
 * A member's value in Redis (stored, in member_added, in snapshots): its user_info JSON, after
 * PEER when it joined with `"peer": true`. JSON never starts with a letter 'p', so no user_info is
 * mistaken for the mark, and clients still see user_info alone.
 */
const PEER = 'peer:';

function encodeMember(info: unknown, peer: boolean | undefined): string {
  const json = JSON.stringify(info ?? {});
  return peer ? PEER + json : json;
}

function decodeMember(value: string): { info: unknown; peer: boolean } {
  const peer = value.startsWith(PEER);
  try {
    return { info: JSON.parse(peer ? value.slice(PEER.length) : value), peer };
  } catch {
    return { info: {}, peer };
  }
}

export class ClusterPresence {
  private readonly mirrors = new Map<string, Mirror>();
  private readonly markers = new Map<string, (result: number, snapshot?: Buffer) => void>();
  private tokens = 0;

  constructor(private readonly ctx: ClusterContext) {}

  memberJoined(c: MemberChange): Promise<void> {
    const { appId, channel, userId, info, peer } = c;
    const k = channelKey(appId, channel);
    const m = this.mirror(k);
    m.pending.add(c.socketId);
    if (!this.ctx.online()) {
      this.applyLocally(appId, channel, m, userId, info, true, peer);
      return Promise.resolve();
    }
    const token = `${++this.tokens}`;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(FALLBACK), MARKER_TIMEOUT_MS);
      const finish = (result: number, snapshot?: Buffer) => {
        clearTimeout(timer);
        if (!this.markers.delete(token)) return;
        const current = this.mirrors.get(k);
        if (current && snapshot?.length) this.applySnapshot(appId, channel, current, snapshot);
        if (result === FULL) {
          reject(subscriptionError(channel, 4100, `Presence channel is full (${c.maxMembers} members)`));
          return;
        }
        if (current && (result === FALLBACK || !current.loaded)) {
          this.applyLocally(appId, channel, current, userId, info, true, peer);
        }
        resolve();
      };
      this.markers.set(token, finish);
      const more = { info, peer, maxMembers: c.maxMembers ?? 0, token, snapshot: !m.loaded };
      this.write(appId, channel, userId, c.connections, more).then(
        (r) => {
          if (r === 1) this.ctx.observer.memberAdded?.(appId, channel, userId);
        },
        () => finish(FALLBACK),
      );
    });
  }

  memberLeft(c: MemberChange): void {
    const { appId, channel, userId } = c;
    const k = channelKey(appId, channel);
    const m = this.mirrors.get(k);
    m?.pending.delete(c.socketId);
    if (!this.ctx.online()) {
      if (c.connections === 0 && m) this.applyLocally(appId, channel, m, userId, undefined, false);
      return;
    }
    this.write(appId, channel, userId, c.connections).then(
      (r) => {
        if (r === 2) this.ctx.observer.memberRemoved?.(appId, channel, userId);
      },
      () => {
        const now = this.mirrors.get(k);
        if (now && (this.ctx.local.member(appId, channel, userId)?.connections ?? 0) === 0)
          this.applyLocally(appId, channel, now, userId, undefined, false);
      },
    );
  }

  /** Writes one entry with this node's current count (read now, so the latest write wins). */
  async rewrite(appId: string, channel: string, user: string): Promise<void> {
    const member = this.ctx.local.member(appId, channel, user);
    const r = await this.write(appId, channel, user, member?.connections ?? 0, {
      info: member?.info,
      peer: member?.peer,
    });
    if (r === 1) this.ctx.observer.memberAdded?.(appId, channel, user);
    if (r === 2) this.ctx.observer.memberRemoved?.(appId, channel, user);
  }

  /** The member list for a joiner, which from now on receives member events. */
  presenceData(appId: string, channel: string, socketId: string): PresenceData {
    const m = this.mirrors.get(channelKey(appId, channel));
    m?.pending.delete(socketId);
    if (!m) return this.ctx.local.presence(appId, channel);
    const hash: Record<string, unknown> = {};
    for (const [id, info] of m.members) hash[id] = info;
    return { presence: { ids: [...m.members.keys()], hash, count: m.members.size } };
  }

  /** No local subscriber left on the channel: stop mirroring it. */
  dropped(appId: string, channel: string): void {
    this.mirrors.delete(channelKey(appId, channel));
  }

  /** member_added / member_removed from the bus (our own included). */
  memberEvent(appId: string, channel: string, userId: string, added: boolean, infoJson: Buffer): void {
    const m = this.mirrors.get(channelKey(appId, channel));
    if (!m || !m.loaded) return; // the next snapshot covers it
    if (added === m.members.has(userId)) return;
    const { info, peer } = added ? decodeMember(infoJson.toString()) : { info: {}, peer: false };
    this.set(m, userId, added, info, peer);
    this.deliver(appId, channel, m, userId, added, info);
  }

  /** A marker for a token of ours arrived on bus:<node>. */
  marker(token: string, result: number, snapshot: Buffer): void {
    this.markers.get(token)?.(result, snapshot);
  }

  /** Redis dropped: markers will not come, answer the joiners from what we have. */
  lost(): void {
    for (const finish of [...this.markers.values()]) finish(FALLBACK);
    for (const m of this.mirrors.values()) m.loaded = false;
  }

  /** After a resync: fetch every mirrored channel's list, tell local subscribers what changed. */
  catchUp(): Promise<unknown> {
    const waits: Promise<void>[] = [];
    for (const k of this.mirrors.keys()) {
      const [appId, channel] = splitChannelKey(k);
      const token = `${++this.tokens}`;
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => done(FALLBACK), MARKER_TIMEOUT_MS);
          const done = (_r: number, snapshot?: Buffer) => {
            clearTimeout(timer);
            this.markers.delete(token);
            const m = this.mirrors.get(k);
            if (m && snapshot?.length) this.applySnapshot(appId, channel, m, snapshot);
            resolve();
          };
          this.markers.set(token, done);
          const { names, link } = this.ctx;
          this.ctx.scripts
            .snapshot(
              names.channelKey(appId, channel, 'pi'),
              this.ctx.node,
              token,
              names.topic(appId, channel),
              link.pub,
            )
            .catch(() => done(FALLBACK));
        }),
      );
    }
    return Promise.all(waits);
  }

  /**
   * Sets a node's connection count of a member (this node's, or zero for a dead node) and records
   * it in this node's index. Resolves with the script's result (scripts.ts).
   */
  write(appId: string, channel: string, user: string, count: number, more: MemberWrite = {}): Promise<number> {
    const { info, peer, maxMembers = 0, token = '', snapshot = false, node = this.ctx.node } = more;
    const { names, link } = this.ctx;
    if (node === this.ctx.node) recordInIndex(this.ctx, 'p', appId, channel, count, user);
    const keys: [string, string, string] = [
      names.channelKey(appId, channel, 'pc'),
      names.channelKey(appId, channel, 'pi'),
      names.channelKey(appId, channel, 'pn'),
    ];
    const args = [node, encodeApp(appId), channel, user, count, encodeMember(info, peer), maxMembers, token];
    return this.ctx.scripts.presence(keys, ...args, snapshot ? '1' : '0', names.topic(appId, channel), link.pub);
  }

  private mirror(k: string): Mirror {
    let m = this.mirrors.get(k);
    if (!m) this.mirrors.set(k, (m = { members: new Map(), peers: new Set(), loaded: false, pending: new Set() }));
    return m;
  }

  /** Redis unreachable: act on this node's own knowledge; the next catch-up corrects it. */
  private applyLocally(
    appId: string,
    channel: string,
    m: Mirror,
    userId: string,
    info: unknown,
    added: boolean,
    peer?: boolean,
  ) {
    if (added === m.members.has(userId)) return;
    this.set(m, userId, added, info ?? {}, peer);
    this.deliver(appId, channel, m, userId, added, info ?? {});
  }

  private set(m: Mirror, userId: string, added: boolean, info: unknown, peer: boolean | undefined): void {
    if (added) m.members.set(userId, info);
    else m.members.delete(userId);
    if (added && peer) m.peers.add(userId);
    else m.peers.delete(userId);
  }

  /** Replaces the mirror with Redis' list, announcing the differences to confirmed subscribers. */
  private applySnapshot(appId: string, channel: string, m: Mirror, snapshot: Buffer): void {
    let flat: unknown;
    try {
      flat = JSON.parse(snapshot.toString());
    } catch {
      return;
    }
    const next = new Map<string, unknown>();
    const peers = new Set<string>();
    if (Array.isArray(flat)) {
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const { info, peer } = decodeMember(String(flat[i + 1]));
        next.set(String(flat[i]), info);
        if (peer) peers.add(String(flat[i]));
      }
    } // an empty Lua table encodes as {}: no members
    const before = m.members;
    m.members = next;
    m.peers = peers;
    m.loaded = true;
    for (const id of before.keys()) if (!next.has(id)) this.deliver(appId, channel, m, id, false, undefined);
    for (const [id, info] of next) if (!before.has(id)) this.deliver(appId, channel, m, id, true, info);
  }

  private deliver(appId: string, channel: string, m: Mirror, userId: string, added: boolean, info: unknown): void {
    this.ctx.events.memberChanged(appId, channel, userId, added, info, added && m.peers.has(userId), m.pending);
  }
}
