// The Pusher webhook wire format: event objects and per-target filtering (signed in protocol/signatures.ts).
import type { WebhookEventName, WebhookTarget } from '../../apps/app.ts';

export interface WebhookEvent {
  name: WebhookEventName;
  channel: string;
  [field: string]: unknown;
}

/** Events in one POST at most; a busier app sends several bodies per batch window. */
export const MAX_EVENTS_PER_BODY = 100;

export function wants(target: WebhookTarget, e: WebhookEvent): boolean {
  return target.events.includes(e.name) && (!target.channelPrefix || e.channel.startsWith(target.channelPrefix));
}

/** Any target of the app interested in events of this type (channel filters are applied later). */
export function anyWants(targets: readonly WebhookTarget[] | undefined, name: WebhookEventName): boolean {
  if (!targets) return false;
  // Asked once per client event: a loop, not a closure allocated per call.
  for (let i = 0; i < targets.length; i++) if (targets[i].events.includes(name)) return true;
  return false;
}

/** The bodies for one target: `{"time_ms", "events"}`, at most MAX_EVENTS_PER_BODY events each. */
export function bodiesFor(target: WebhookTarget, events: readonly WebhookEvent[], timeMs: number): string[] {
  const mine = events.filter((e) => wants(target, e));
  const out: string[] = [];
  for (let i = 0; i < mine.length; i += MAX_EVENTS_PER_BODY) {
    out.push(JSON.stringify({ time_ms: timeMs, events: mine.slice(i, i + MAX_EVENTS_PER_BODY) }));
  }
  return out;
}

/** A URL fit for logs: no credentials, no query (tokens often live there). */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}
