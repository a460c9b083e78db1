// What a node writes back after (re)gaining Redis: every count and presence entry it holds now,
// plus zero for every entry Redis still holds for it that is gone (closed while Redis was away).
import type { LocalView } from '../adapter.ts';
import { splitField } from './bus.ts';
import type { CountKind } from './counts.ts';

export interface Held {
  counts: [CountKind, string, string][];
  presence: [appId: string, channel: string, user: string][];
}

/** `held`: what this node holds now; `inRedis`: the node's hash as Redis has it (field → count). */
export function entriesToWrite(held: ReturnType<LocalView['held']>, inRedis: Record<string, string>): Held {
  const counts = new Map<string, [CountKind, string, string]>();
  const presence = new Map<string, [string, string, string]>();
  for (const field of Object.keys(inRedis)) {
    const f = splitField(field);
    if (!f) continue;
    if (f.kind === 'p') presence.set(`${f.appId}\0${f.name}\0${f.user}`, [f.appId, f.name, f.user!]);
    else if (f.kind === 's' || f.kind === 'u')
      counts.set(`${f.kind}\0${f.appId}\0${f.name}`, [f.kind, f.appId, f.name]);
  }
  for (const [appId, channel] of held.channels) counts.set(`s\0${appId}\0${channel}`, ['s', appId, channel]);
  for (const [appId, channel, user] of held.members) {
    presence.set(`${appId}\0${channel}\0${user}`, [appId, channel, user]);
  }
  for (const [appId, user] of held.users) counts.set(`u\0${appId}\0${user}`, ['u', appId, user]);
  return { counts: [...counts.values()], presence: [...presence.values()] };
}
