// Names in Redis and the messages nodes exchange over pub/sub.
//
// Every key carries a hash tag ({...}) so that whatever one script touches lives in one Redis
// Cluster slot: a channel's keys and its pub/sub topic share the channel's slot (events of many
// channels spread over the shards), an app's user totals share the app's, the node registry has its
// own. On a single Redis server the tags are just part of the names.
//
// P = the deployment prefix, A = the app id URI-encoded (no ':', '{' or '}'), C = the channel:
//   P{A:C}                 the channel's topic: its events, member and count announcements, markers
//   P{A:C}:s, :sm          recent-history stream and its {e: epoch, o: last offset} (stream-scripts.ts)
//   P{A:C}:cn              subscribers per node, field '*' the cluster total
//   P{A:C}:pn              presence connections per node\0user; :pc user → connections anywhere;
//                          :pi user → user_info
//   P{A:C}:last            a cache channel's last event (its TTL is the cache's)
//   P{A}:chans             channels with subscribers somewhere (a superset: readers check :cn)
//   P{A}:u / P{A}:un       signed-in connections per user anywhere / per node\0user
//   P{nodes}:hb:<node>     heartbeat, expires unless the node refreshes it
//   P{nodes}:all           node ids that may hold state (the reaper walks it)
//   P{nodes}:n:<node>      index of a node's entries, field → count (what to undo if it dies):
//                            s\0A\0C  subscribers   u\0A\0<user>  signed-in   p\0A\0C\0<user>  presence
//   P{nodes}:reap          who reaps dead nodes right now
// A node subscribes to the topics of the channels it has subscribers on, and to P bus (control:
// terminate a user, watchlists), which every node hears. A message is a JSON array header, '\n',
// then an opaque payload (the frame, bytes untouched).

export type BusType =
  | 'e' // event frame: [e, node, A, channel, exceptSocketId, cacheTtlMs?, seq, epoch?, offset?] + frame
  | 't' // terminate a user's connections: [t, node, A, user] (control bus)
  | 'm+' // member added (published by Lua): [m+, node, A, channel, user] + user_info JSON
  | 'm-' // member removed: [m-, node, A, channel, user]
  | 'k' // marker for one node: [k, node, token, result] + snapshot (flat JSON [user, info, …])
  | 'w' // watchlist: [w, node, A, user, 'online' | 'offline'] (control bus)
  | 'c'; // subscription count: [c, node, A, channel, count]

type ChannelKey = 's' | 'sm' | 'cn' | 'pn' | 'pc' | 'pi' | 'last';

export class Names {
  readonly prefix: string;

  constructor(
    prefix: string,
    readonly node: string,
  ) {
    this.prefix = prefix.endsWith(':') ? prefix : prefix + ':';
  }

  get bus(): string {
    return this.prefix + 'bus';
  }
  /** A channel's topic; its keys are this plus a suffix (key, channelKey). */
  topic(appId: string, channel: string): string {
    return `${this.prefix}{${encodeApp(appId)}:${channel}}`;
  }
  /** A key of the channel whose topic this is. */
  key(topic: string, suffix: ChannelKey): string {
    return `${topic}:${suffix}`;
  }
  channelKey(appId: string, channel: string, suffix: ChannelKey): string {
    return this.key(this.topic(appId, channel), suffix);
  }
  appKey(appId: string, suffix: 'chans' | 'u' | 'un'): string {
    return `${this.prefix}{${encodeApp(appId)}}:${suffix}`;
  }
  heartbeat(node = this.node): string {
    return `${this.prefix}{nodes}:hb:${node}`;
  }
  nodeHash(node = this.node): string {
    return `${this.prefix}{nodes}:n:${node}`;
  }
  get nodes(): string {
    return this.prefix + '{nodes}:all';
  }
  get reapLock(): string {
    return this.prefix + '{nodes}:reap';
  }
}

const decoded = new Map<string, string>();
const encoded = new Map<string, string>();

/** The app id as it stands in keys and headers (asked for several times per published event). */
export function encodeApp(appId: string): string {
  let e = encoded.get(appId);
  if (e === undefined) {
    e = encodeURIComponent(appId);
    if (encoded.size > 10_000) encoded.clear();
    encoded.set(appId, e);
  }
  return e;
}

export function decodeApp(encoded: string): string {
  let id = decoded.get(encoded);
  if (id === undefined) {
    id = decodeURIComponent(encoded);
    if (decoded.size > 10_000) decoded.clear();
    decoded.set(encoded, id);
  }
  return id;
}

const NL = Buffer.from('\n');

export function encodeBus(header: unknown[], payload?: Buffer | string): Buffer {
  const head = Buffer.from(JSON.stringify(header));
  if (payload === undefined) return Buffer.concat([head, NL]);
  return Buffer.concat([head, NL, typeof payload === 'string' ? Buffer.from(payload) : payload]);
}

export function decodeBus(message: Buffer): { header: unknown[]; payload: Buffer } | undefined {
  const nl = message.indexOf(10);
  if (nl < 0) return undefined;
  try {
    const header = JSON.parse(message.toString('utf8', 0, nl));
    return Array.isArray(header) ? { header, payload: message.subarray(nl + 1) } : undefined;
  } catch {
    return undefined;
  }
}

/** A node-hash field split back into its parts: [kind, appId, name, user?]. */
export function splitField(field: string): { kind: string; appId: string; name: string; user?: string } | undefined {
  const a = field.indexOf('\0', 2);
  if (a < 0) return undefined;
  const kind = field[0];
  const appId = decodeApp(field.slice(2, a));
  const rest = field.slice(a + 1);
  if (kind !== 'p') return { kind, appId, name: rest };
  const b = rest.indexOf('\0');
  return b < 0 ? undefined : { kind, appId, name: rest.slice(0, b), user: rest.slice(b + 1) };
}
