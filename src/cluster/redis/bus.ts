// Names in Redis and the messages nodes exchange over pub/sub.
//
// Keys (P = the deployment prefix, A = the app id URI-encoded so it holds no ':'):
//   P hb:<node>            heartbeat, expires unless the node refreshes it
//   P nodes                set of node ids that may hold state (the reaper walks it)
//   P n:<node>             this node's share of everything, field → count:
//                            s\0A\0<channel>  subscribers    u\0A\0<user>  signed-in connections
//                            p\0A\0<channel>\0<user>  presence connections of a user
//   P c:s:A / P c:u:A      cluster totals: channel → subscribers, user → connections
//   P pc:A:<channel>       presence: user → connections anywhere; P pi:A:<channel> user → user_info
//   P lock:reap            who reaps dead nodes right now
// Pub/sub: P bus (everyone) and P bus:<node> (markers for one node). A message is a JSON array
// header, '\n', then an opaque payload (the frame, bytes untouched).

export type BusType =
  | 'e' // event frame: [e, node, A, channel, exceptSocketId, cacheTtlMs?] + frame
  | 't' // terminate a user's connections: [t, node, A, user]
  | 'm+' // member added (published by Lua): [m+, node, A, channel, user] + user_info JSON
  | 'm-' // member removed: [m-, node, A, channel, user]
  | 'k' // marker on bus:<node>: [k, node, token, result] + snapshot (flat JSON [user, info, …])
  | 'w' // watchlist: [w, node, A, user, 'online' | 'offline']
  | 'c'; // subscription count: [c, node, A, channel, count]

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
  nodeBus(node = this.node): string {
    return `${this.prefix}bus:${node}`;
  }
  heartbeat(node = this.node): string {
    return `${this.prefix}hb:${node}`;
  }
  nodeHash(node = this.node): string {
    return `${this.prefix}n:${node}`;
  }
  get nodes(): string {
    return this.prefix + 'nodes';
  }
  get reapLock(): string {
    return this.prefix + 'lock:reap';
  }
  totals(kind: 's' | 'u', appId: string): string {
    return `${this.prefix}c:${kind}:${encodeApp(appId)}`;
  }
  presenceCounts(appId: string, channel: string): string {
    return `${this.prefix}pc:${encodeApp(appId)}:${channel}`;
  }
}

const decoded = new Map<string, string>();

export const encodeApp = (appId: string): string => encodeURIComponent(appId);

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
