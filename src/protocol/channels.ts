// Channel-name rules: which kind a name is, and whether it is a legal name at all.

export type ChannelKind = 'public' | 'private' | 'private-encrypted' | 'presence' | 'personal' | 'peer' | 'user';

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

// Every kind and cache combination, made once: channelRules hands these out, so it allocates nothing
// and needs no memo (a map of every name seen cost a lookup in a large table per event).
const rules = (kind: ChannelKind, signed: boolean, clientEvents: boolean, cache = false): ChannelRules =>
  Object.freeze({ kind, cache, signed, clientEvents });
const PUBLIC = rules('public', false, false);
const PUBLIC_CACHE = rules('public', false, false, true);
const PRIVATE = rules('private', true, true);
const PRIVATE_CACHE = rules('private', true, true, true);
const ENCRYPTED = rules('private-encrypted', true, false);
const ENCRYPTED_CACHE = rules('private-encrypted', true, false, true);
const PRESENCE = rules('presence', true, true);
const PRESENCE_CACHE = rules('presence', true, true, true);
const PERSONAL = rules('personal', true, false);
const PEER = rules('peer', true, true);
const USER = rules('user', false, false);

/** The rules of a channel by its name's prefix. Call only with names that passed `channelNameError`. */
export function channelRules(name: string): ChannelRules {
  switch (name.charCodeAt(0)) {
    case 0x70: // p
      if (name.startsWith('private-')) {
        if (name.startsWith('encrypted-', 8)) return name.startsWith('cache-', 18) ? ENCRYPTED_CACHE : ENCRYPTED;
        return name.startsWith('cache-', 8) ? PRIVATE_CACHE : PRIVATE;
      }
      if (name.startsWith('presence-')) return name.startsWith('cache-', 9) ? PRESENCE_CACHE : PRESENCE;
      if (name.startsWith('personal-')) return PERSONAL;
      if (name.startsWith('peer-')) return PEER;
      return PUBLIC;
    case 0x23: // #
      return name.startsWith(USER_CHANNEL_PREFIX) ? USER : PUBLIC;
    case 0x63: // c
      return name.startsWith('cache-') ? PUBLIC_CACHE : PUBLIC;
  }
  return PUBLIC;
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
