// Triggering app events from the HTTP API: one frame per channel, cache channels remembered.
import { channelRules } from '../protocol/channels.ts';
import { encodeAppEvent } from '../protocol/messages.ts';
import type { App } from '../apps/app.ts';
import type { Hub } from './hub.ts';

export interface Trigger {
  event: string;
  channels: string[];
  data: string;
  socketId?: string;
  /** Pushi persistence: stored id and time, added to the live message when the event was stored. */
  stored?: Map<string, { mid: string; timestamp: number }>;
}

export function publishTrigger(hub: Hub, app: App, t: Trigger): void {
  const state = hub.state(app);
  const now = Date.now();
  for (const channel of t.channels) {
    const s = t.stored?.get(channel);
    const frame = Buffer.from(
      encodeAppEvent({ event: t.event, channel, data: t.data, mid: s?.mid, timestamp: s?.timestamp }),
    );
    let cacheTtlMs: number | undefined;
    if (channelRules(channel).cache) {
      cacheTtlMs = app.options.cacheTtl * 1000;
      state.cache.set(channel, { frame, event: t.event, data: t.data, expiresAt: now + cacheTtlMs });
    }
    hub.publish(app.id, channel, frame, t.socketId, cacheTtlMs);
  }
  hub.observer.eventTriggered?.(app.id, t);
}
