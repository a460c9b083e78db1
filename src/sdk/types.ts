// Public types of the server SDK.
import type { NotificationFields } from '../notify/targets/targets.ts';

export interface PushiConfig {
  /** Falls back to PUSHI_APP_ID. */
  appId?: string;
  /** Falls back to PUSHI_APP_KEY. */
  appKey?: string;
  /** Falls back to PUSHI_APP_SECRET. */
  appSecret?: string;
  /** HTTP API host; falls back to PUSHI_HOST, then 127.0.0.1. */
  host?: string;
  /** HTTP API port; falls back to PUSHI_PORT, then 443 with TLS or 8080 (the server's APP_PORT default). */
  port?: number;
  useTLS?: boolean;
  /** Milliseconds before a request is abandoned (default 10000). */
  timeout?: number;
}

/** Per-kind payloads a trigger or direct message may carry (the server's definition). */
export type { NotificationFields } from '../notify/targets/targets.ts';

export interface TriggerParams extends NotificationFields {
  /** One channel, or `channels` for several. */
  channel?: string;
  channels?: string[];
  event: string;
  /** A string is sent as is; anything else is JSON-encoded (as the Pusher SDKs do). */
  data: unknown;
  /** Leave this socket out (the sender of a change). */
  socketId?: string;
  /** Store the event for history (overrides the app's `persist` option). */
  persist?: boolean;
  /** `user_count`, `subscription_count`: ask for channel attributes in the answer. */
  info?: string;
}

export interface ChannelInfo {
  occupied?: boolean;
  user_count?: number;
  subscription_count?: number;
  cache?: { event: string; data: string; ttl: number };
}

export interface StoredEvent {
  event: string;
  channel: string;
  data: unknown;
  mid?: string;
  timestamp?: number;
  [key: string]: unknown;
}

export interface ChannelAuthResult {
  auth: string;
  channel_data?: string;
}

export interface UserAuthResult {
  auth: string;
  user_data: string;
}

/** A user for pusher:signin: `id` is required; `user_info` and `watchlist` are optional. */
export interface UserData {
  id: string;
  user_info?: Record<string, unknown>;
  watchlist?: string[];
  [key: string]: unknown;
}

export interface WebhookPayload {
  time_ms: number;
  events: Array<{ name: string; channel?: string; [key: string]: unknown }>;
}

export type TargetKind = 'web_push' | 'apns' | 'email' | 'webhook';

/** A browser push subscription: `PushSubscription.toJSON()` works as is. */
export type WebPushSubscription =
  { endpoint: string; p256dh: string; auth: string } | { endpoint: string; keys: { p256dh: string; auth: string } };

/** Where a notification goes: a Web Push subscription, an APNs device token, an e-mail address, a webhook URL. */
export type TargetSpec =
  | { kind: 'web_push'; target: WebPushSubscription }
  | { kind: 'apns'; target: string }
  | { kind: 'email'; target: string }
  | { kind: 'webhook'; target: string };

/** A target on a channel; signed channels get their channel_auth computed by the SDK. */
export type AddTargetParams = TargetSpec & { channel: string };

/** Targets on a channel, and/or one target (kind + address: endpoint, token, e-mail, URL) everywhere. */
export interface TargetFilterParams {
  channel?: string;
  kind?: TargetKind;
  address?: string;
}

export interface TargetInfo {
  channel: string;
  kind: TargetKind;
  address: string;
  /** As registered (Web Push: endpoint, p256dh, auth). */
  target: Record<string, unknown>;
  created_at: number;
}

export interface DirectMessage extends NotificationFields {
  targets: TargetSpec[];
  /** A string is sent as is; anything else is JSON-encoded. */
  data: unknown;
  /** Default "message". */
  event?: string;
  channel?: string;
}

export interface DirectResult {
  kind: TargetKind;
  target: string;
  success: boolean;
  error?: string;
  status?: number;
  /** The target no longer exists (Web Push 404/410, APNs Unregistered). */
  gone?: boolean;
}
