// What the hub reports as it happens: webhooks, metrics, logs and the console listen here.
// Every method is optional; the hub never waits for an observer. Message and byte counts are not
// reported (one call per message): the hub keeps them in AppState.traffic for samplers to read.

export interface HubObserver {
  connectionOpened?(appId: string, socketId: string): void;
  connectionClosed?(appId: string, socketId: string): void;
  connectionRejected?(appKey: string, code: number, reason: string): void;
  channelOccupied?(appId: string, channel: string): void;
  channelVacated?(appId: string, channel: string): void;
  memberAdded?(appId: string, channel: string, userId: string): void;
  memberRemoved?(appId: string, channel: string, userId: string): void;
  /** `data` as text: a string as the client sent it, anything else as its JSON. */
  clientEvent?(
    appId: string,
    e: { channel: string; event: string; data: string; socketId: string; userId?: string },
  ): void;
  cacheMiss?(appId: string, channel: string): void;
  subscriptionCount?(appId: string, channel: string, count: number): void;
  /** `socketId` is given by the hub (optional so other reporters need not know it). */
  subscribed?(appId: string, channel: string, kind: string, socketId?: string): void;
  unsubscribed?(appId: string, channel: string, kind: string, socketId?: string): void;
  /** An app event published through publishTrigger (HTTP API, console), once per trigger. */
  eventTriggered?(
    appId: string,
    e: {
      event: string;
      channels: string[];
      data: string;
      socketId?: string;
      /** Stored events' ids and times by channel (persistence). */
      stored?: ReadonlyMap<string, { mid: string; timestamp: number }>;
      /** Notification payload fields of the trigger (web_push, apn, push, subject, body, html). */
      notify?: Readonly<Record<string, unknown>>;
    },
  ): void;
}

/** Fans one report out to several observers. */
export function combineObservers(list: HubObserver[]): HubObserver {
  const out: HubObserver = {};
  const keys = new Set(list.flatMap((o) => Object.keys(o))) as Set<keyof HubObserver>;
  for (const key of keys) {
    const fns = list.map((o) => o[key]).filter(Boolean) as Report[];
    // Some reports come per message: no rest array and spread per call (no report has more than 5 arguments).
    (out as Record<string, Report>)[key] =
      fns.length === 1
        ? fns[0]
        : (a, b, c, d, e) => {
            for (let i = 0; i < fns.length; i++) fns[i](a, b, c, d, e);
          };
  }
  return out;
}

type Report = (a?: unknown, b?: unknown, c?: unknown, d?: unknown, e?: unknown) => void;
