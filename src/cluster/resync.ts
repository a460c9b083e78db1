// What a node writes back after (re)gaining Redis: every count and presence entry it holds now,
// plus zero for every entry Redis still holds for it that is gone (closed while Redis was away).
import type { Hub } from '../hub/hub.ts';
import { splitField } from './bus.ts';
import type { CountKind } from './counts.ts';

export interface Held {
  counts: [CountKind, string, string][];
  presence: [appId: string, channel: string, user: string][];
}

/** `inRedis`: the node's hash as Redis has it (field → count). */
export function entriesToWrite(hub: Hub, inRedis: Record<string, string>): Held {
  const counts = new Map<string, [CountKind, string, string]>();
  const presence = new Map<string, [string, string, string]>();
  for (const field of Object.keys(inRedis)) {
    const f = splitField(field);
    if (!f) continue;
    if (f.kind === 'p') presence.set(`${f.appId}\0${f.name}\0${f.user}`, [f.appId, f.name, f.user!]);
    else if (f.kind === 's' || f.kind === 'u')
      counts.set(`${f.kind}\0${f.appId}\0${f.name}`, [f.kind, f.appId, f.name]);
  }
  for (const state of hub.states.values()) {
    const appId = state.app.id;
    for (const ch of state.channels.values()) {
      counts.set(`s\0${appId}\0${ch.name}`, ['s', appId, ch.name]);
      for (const user of ch.members.keys()) presence.set(`${appId}\0${ch.name}\0${user}`, [appId, ch.name, user]);
    }
    for (const user of state.users.keys()) counts.set(`u\0${appId}\0${user}`, ['u', appId, user]);
  }
  return { counts: [...counts.values()], presence: [...presence.values()] };
}
