// An app is one tenant: its credentials and the options that shape its limits and features.

export interface AppOptions {
  /** Allow `client-` events on private and presence channels (off by default, as on Pusher). */
  clientEvents: boolean;
  /** Client events a connection may send per second before 4301. */
  maxClientEventsPerSecond: number;
  /** Open connections allowed for the app (0 = unlimited); past it, 4004. */
  maxConnections: number;
  /** Members (distinct user ids) per presence channel. */
  maxPresenceMembers: number;
  /** Bytes of JSON user_info per presence member. */
  maxPresenceUserInfoBytes: number;
  /** Bytes of event `data` accepted on the HTTP API and in client events (413 / 4301 past it). */
  maxEventBytes: number;
  /** Channels in one trigger. */
  maxChannelsPerTrigger: number;
  /** Events in one batch trigger. */
  maxBatchEvents: number;
  /** Send `pusher_internal:subscription_count` to subscribers. */
  subscriptionCount: boolean;
  /** Close connections that have not signed in within userAuthenticationTimeout seconds (4009). */
  userAuthentication: boolean;
  userAuthenticationTimeout: number;
  /** Seconds a cache channel keeps its last event. */
  cacheTtl: number;
  /** Store triggered events unless the trigger says otherwise (issue 3). */
  persist: boolean;
  /** Stored events handed back on subscribe. */
  historyCount: number;
  /** Retention: stored events kept per channel, and their age limit in seconds (0 = no age limit). */
  maxStoredEventsPerChannel: number;
  maxStoredEventAge: number;
}

export const DEFAULT_APP_OPTIONS: Readonly<AppOptions> = Object.freeze({
  clientEvents: false,
  maxClientEventsPerSecond: 10,
  maxConnections: 0,
  maxPresenceMembers: 100,
  maxPresenceUserInfoBytes: 1024,
  maxEventBytes: 10 * 1024,
  maxChannelsPerTrigger: 100,
  maxBatchEvents: 10,
  subscriptionCount: false,
  userAuthentication: false,
  userAuthenticationTimeout: 30,
  cacheTtl: 1800,
  persist: false,
  historyCount: 10,
  maxStoredEventsPerChannel: 1000,
  maxStoredEventAge: 30 * 24 * 3600,
});

export interface App {
  id: string;
  key: string;
  secret: string;
  name: string;
  enabled: boolean;
  options: AppOptions;
}

/** Where apps come from: the environment, a JSON file, the store. */
export interface AppSource {
  findById(id: string): Promise<App | undefined>;
  findByKey(key: string): Promise<App | undefined>;
}

/** Merges user-given options over the defaults, keeping only known keys of the right type. */
export function resolveOptions(given: Record<string, unknown> | undefined): AppOptions {
  const options: AppOptions = { ...DEFAULT_APP_OPTIONS };
  if (!given) return options;
  for (const key of Object.keys(DEFAULT_APP_OPTIONS) as (keyof AppOptions)[]) {
    const value = given[key];
    if (value === undefined) continue;
    if (typeof value !== typeof DEFAULT_APP_OPTIONS[key]) {
      throw new TypeError(`app option ${key} must be a ${typeof DEFAULT_APP_OPTIONS[key]}`);
    }
    (options as unknown as Record<string, unknown>)[key] = value;
  }
  return options;
}
