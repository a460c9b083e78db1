// Channel-name rules: which kind a name is, and whether it is a legal name at all.

export type ChannelKind =
  | 'public'
  | 'private'
  | 'private-encrypted'
  | 'presence'
  | 'personal'
  | 'peer'
  | 'user';

export interface ChannelRules {
  kind: ChannelKind;
  /** Replays the last triggered event on subscribe (cache-, private-cache-, …). */
  cache: boolean;
  /** Needs a server-side signature to join. */
  signed: boolean;
  /** Client events may be sent on it (still needs the app option). */
  clientEvents: boolean;
}

export const MAX_CHANNEL_NAME = 200;
const NAME_PATTERN = /^[A-Za-z0-9_\-=@,.;&:]+$/;
export const USER_CHANNEL_PREFIX = '#server-to-user-';

const RULES: Record<ChannelKind, Omit<ChannelRules, 'cache'>> = {
  public: { kind: 'public', signed: false, clientEvents: false },
  private: { kind: 'private', signed: true, clientEvents: true },
  'private-encrypted': { kind: 'private-encrypted', signed: true, clientEvents: false },
  presence: { kind: 'presence', signed: true, clientEvents: true },
  personal: { kind: 'personal', signed: true, clientEvents: false },
  peer: { kind: 'peer', signed: true, clientEvents: true },
  user: { kind: 'user', signed: false, clientEvents: false },
};

const cache = new Map<string, ChannelRules>();

/** The rules of a channel by its name's prefix. Call only with names that passed `channelNameError`. */
export function channelRules(name: string): ChannelRules {
  let rules = cache.get(name);
  if (rules) return rules;
  let kind: ChannelKind = 'public';
  let isCache = false;
  if (name.startsWith(USER_CHANNEL_PREFIX)) kind = 'user';
  else if (name.startsWith('private-encrypted-cache-')) (kind = 'private-encrypted'), (isCache = true);
  else if (name.startsWith('private-encrypted-')) kind = 'private-encrypted';
  else if (name.startsWith('private-cache-')) (kind = 'private'), (isCache = true);
  else if (name.startsWith('private-')) kind = 'private';
  else if (name.startsWith('presence-cache-')) (kind = 'presence'), (isCache = true);
  else if (name.startsWith('presence-')) kind = 'presence';
  else if (name.startsWith('personal-')) kind = 'personal';
  else if (name.startsWith('peer-')) kind = 'peer';
  else if (name.startsWith('cache-')) isCache = true;
  rules = { ...RULES[kind], cache: isCache };
  if (cache.size > 100_000) cache.clear(); // bounded memo: names are attacker-chosen
  cache.set(name, rules);
  return rules;
}

/** Why a channel name is not acceptable, or undefined when it is. */
export function channelNameError(name: unknown): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'channel name must be a non-empty string';
  if (name.length > MAX_CHANNEL_NAME) return `channel name longer than ${MAX_CHANNEL_NAME} characters`;
  if (name.startsWith(USER_CHANNEL_PREFIX)) {
    return NAME_PATTERN.test(name.slice(USER_CHANNEL_PREFIX.length)) ? undefined : 'invalid characters in channel name';
  }
  if (!NAME_PATTERN.test(name)) return 'invalid characters in channel name (allowed: A-Z a-z 0-9 _ - = @ , . ; & :)';
  return undefined;
}

/** `peer-<base>:<a>&<b>` for two members of `presence-<base>`, ids sorted so both sides agree. */
export function peerChannelName(presenceChannel: string, userA: string, userB: string): string {
  const base = presenceChannel.slice('presence-'.length);
  const [a, b] = userA < userB ? [userA, userB] : [userB, userA];
  return `peer-${base}:${a}&${b}`;
}

/** The presence channel and two users of a peer channel name, if it is one. */
export function parsePeerChannel(name: string): { presence: string; users: [string, string] } | undefined {
  if (!name.startsWith('peer-')) return undefined;
  const rest = name.slice('peer-'.length);
  const colon = rest.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const pair = rest.slice(colon + 1).split('&');
  if (pair.length !== 2 || !pair[0] || !pair[1]) return undefined;
  return { presence: `presence-${rest.slice(0, colon)}`, users: [pair[0], pair[1]] };
}
