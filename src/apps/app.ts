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
  /** Channels one socket may be subscribed to (0 = unlimited); past it, subscription_error 4100. */
  maxChannelsPerConnection: number;
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
  /** Webhook targets (notify/webhooks): Pusher-format POSTs of the listed event types. */
  webhooks: WebhookTarget[];
  /** Events of an app are gathered this long (ms) into one webhook body. */
  webhookBatchMs: number;
  /** First retry delay of a failed webhook (ms); doubles per attempt, capped at a minute. */
  webhookRetryMs: number;
  /** A failing webhook is retried until this long (ms) after it was queued, then marked failed. */
  webhookRetryForMs: number;
  /** One delivery attempt's timeout (ms). */
  webhookTimeoutMs: number;
  /** Signed HTTP API requests per second (429 past it; 0 = unlimited). Cluster-wide with Redis. */
  maxApiRequestsPerSecond: number;
  /**
   * Delivery continuity (docs/protocol.md): how long (seconds) and how many events per channel a
   * reconnecting client can recover. 0 in either turns positions and recovery off for the app.
   */
  recoveryWindowSeconds: number;
  recoveryMaxEvents: number;
  /**
   * Origins allowed to open WebSocket connections (4009 otherwise); empty = any. `*.example.com`
   * matches subdomains.
   */
  allowedOrigins: string[];
  // Notification targets (notify/targets, docs/notifications.md).
  /** Web Push VAPID key pair, base64url raw P-256 keys; generated on the first GET /apps/{id}/vapid_key when empty. */
  vapidPublicKey: string;
  vapidPrivateKey: string;
  /** VAPID `sub` claim: a mailto: or https: URL push services may contact; empty = mailto:noreply@pushi.invalid. */
  vapidSubject: string;
  /** Seconds a push service keeps an undelivered Web Push message. */
  webPushTtl: number;
  /** APNs token authentication: the .p8 key (PEM text), its key id, the team id and the topic (bundle id). */
  apnsKey: string;
  apnsKeyId: string;
  apnsTeamId: string;
  apnsTopic: string;
  /** Apple's development environment instead of production. */
  apnsSandbox: boolean;
  /** APNs base URL (https://host[:port]); empty = Apple's host chosen by apnsSandbox. */
  apnsUrl: string;
  /** SMTP server for e-mail targets (smtp:// or smtps://, user:pass@ allowed); empty = the global SMTP_URL. */
  smtpUrl: string;
  /** From address of notification e-mails; empty = the SMTP URL's `from` parameter, else pushi@localhost. */
  emailFrom: string;
}

import { WEBHOOK_EVENTS, type WebhookEventName } from './webhook-events.ts';

export { WEBHOOK_EVENTS, type WebhookEventName };

export interface WebhookTarget {
  url: string;
  /** Event types sent to this URL. */
  events: WebhookEventName[];
  /** Only events of channels whose name starts with this. */
  channelPrefix?: string;
}

export const DEFAULT_APP_OPTIONS: Readonly<AppOptions> = Object.freeze({
  clientEvents: false,
  maxClientEventsPerSecond: 10,
  maxConnections: 0,
  maxPresenceMembers: 100,
  // Pusher clients hold a socket per page and subscribe per feature (rarely past a few dozen); a
  // thousand leaves room for a dashboard of per-item channels and caps a socket near 0.5 MB.
  maxChannelsPerConnection: 1000,
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
  webhooks: Object.freeze([]) as unknown as WebhookTarget[],
  webhookBatchMs: 250,
  webhookRetryMs: 1000,
  webhookRetryForMs: 5 * 60 * 1000,
  webhookTimeoutMs: 10_000,
  maxApiRequestsPerSecond: 0, // unlimited by default, as self-hosted servers are expected to be
  allowedOrigins: Object.freeze([]) as unknown as string[],
  recoveryWindowSeconds: 120,
  recoveryMaxEvents: 500,
  vapidPublicKey: '',
  vapidPrivateKey: '',
  vapidSubject: '',
  webPushTtl: 86_400,
  apnsKey: '',
  apnsKeyId: '',
  apnsTeamId: '',
  apnsTopic: '',
  apnsSandbox: false,
  apnsUrl: '',
  smtpUrl: '',
  emailFrom: '',
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
  /** The app when it is known here and now (cached and fresh), without waiting; else undefined. */
  peekById?(id: string): App | undefined;
  /** The same by key (WebSocket connections name their app by key). */
  peekByKey?(key: string): App | undefined;
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
    if (Array.isArray(DEFAULT_APP_OPTIONS[key]) && !Array.isArray(value))
      throw new TypeError(`app option ${key} must be an array`);
    (options as unknown as Record<string, unknown>)[key] = value;
  }
  if (given.webhooks !== undefined) options.webhooks = checkWebhooks(options.webhooks);
  if (options.allowedOrigins.some((o) => typeof o !== 'string'))
    throw new TypeError('app option allowedOrigins must hold strings');
  for (const key of ['recoveryWindowSeconds', 'recoveryMaxEvents'] as const) {
    if (!Number.isInteger(options[key]) || options[key] < 0)
      throw new TypeError(`app option ${key} must be a whole number, 0 or more`);
  }
  checkNotifyOptions(options);
  return options;
}

const B64URL = /^[A-Za-z0-9_-]+$/;

/** Shapes only (cheap: runs on every app load); keys are parsed when first used. */
function checkNotifyOptions(o: AppOptions): void {
  const bad = (name: string, why: string) => new TypeError(`app option ${name} ${why}`);
  if (!o.vapidPublicKey !== !o.vapidPrivateKey) throw bad('vapidPublicKey', 'and vapidPrivateKey must be set together');
  if (
    o.vapidPublicKey &&
    (!B64URL.test(o.vapidPublicKey) || Buffer.from(o.vapidPublicKey, 'base64url').length !== 65)
  ) {
    throw bad('vapidPublicKey', 'must be a base64url uncompressed P-256 point (65 bytes)');
  }
  if (
    o.vapidPrivateKey &&
    (!B64URL.test(o.vapidPrivateKey) || Buffer.from(o.vapidPrivateKey, 'base64url').length !== 32)
  ) {
    throw bad('vapidPrivateKey', 'must be a base64url P-256 private key (32 bytes)');
  }
  if (o.vapidSubject && !/^(mailto:|https:\/\/)\S+$/.test(o.vapidSubject))
    throw bad('vapidSubject', 'must be a mailto: or https: URL');
  if (!Number.isInteger(o.webPushTtl) || o.webPushTtl < 0) throw bad('webPushTtl', 'must be a whole number of seconds');
  if (o.apnsKey && !/-----BEGIN PRIVATE KEY-----/.test(o.apnsKey))
    throw bad('apnsKey', 'must be the PEM text of the .p8 key');
  if (o.apnsKeyId && !/^[A-Z0-9]{10}$/.test(o.apnsKeyId)) throw bad('apnsKeyId', 'must be the 10-character key id');
  if (o.apnsTeamId && !/^[A-Z0-9]{10}$/.test(o.apnsTeamId)) throw bad('apnsTeamId', 'must be the 10-character team id');
  if (o.apnsUrl && !/^https:\/\/[^/]+\/?$/.test(o.apnsUrl)) throw bad('apnsUrl', 'must be https://host[:port]');
  if (o.smtpUrl && !/^smtps?:\/\/[^/]/.test(o.smtpUrl)) throw bad('smtpUrl', 'must be an smtp:// or smtps:// URL');
  if (o.emailFrom && !/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/.test(o.emailFrom))
    throw bad('emailFrom', 'must be an e-mail address');
}

function checkWebhooks(list: unknown[]): WebhookTarget[] {
  return list.map((w, i) => {
    const t = w as Partial<WebhookTarget> | null;
    const where = `app option webhooks[${i}]`;
    if (!t || typeof t !== 'object') throw new TypeError(`${where} must be {url, events, channelPrefix?}`);
    if (typeof t.url !== 'string' || !/^https?:\/\//.test(t.url))
      throw new TypeError(`${where}.url must be an http(s) URL`);
    if (!Array.isArray(t.events) || t.events.some((e) => !(WEBHOOK_EVENTS as readonly string[]).includes(e))) {
      throw new TypeError(`${where}.events must list some of ${WEBHOOK_EVENTS.join(', ')}`);
    }
    if (t.channelPrefix !== undefined && typeof t.channelPrefix !== 'string')
      throw new TypeError(`${where}.channelPrefix must be a string`);
    return { url: t.url, events: [...t.events], ...(t.channelPrefix ? { channelPrefix: t.channelPrefix } : {}) };
  });
}
