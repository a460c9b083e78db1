// What the console's endpoints answer (src/console/api.ts, app-views.ts, feed.ts), as the browser reads it.

export interface WebhookView {
  url: string;
  events: string[];
  channelPrefix?: string;
}

/** App options as the console gets them: notification secrets left out (see `secrets_set`). */
export type OptionsView = Record<string, unknown> & { webhooks?: WebhookView[] };

export interface AppView {
  id: string;
  key: string;
  secret: string;
  name: string;
  enabled: boolean;
  options: OptionsView;
  created_at: number;
  /** Which secret options hold a value (their values are never sent to the browser). */
  secrets_set?: Record<string, boolean>;
  /** Open connections on this node (app lists only). */
  connections?: number;
}

export interface ServerInfo {
  ws_port: number;
  http_port: number;
  ws_tls: boolean;
  http_tls: boolean;
  path_prefix: string;
  store: string;
  clustered: boolean;
  default_app: string | null;
}

/** One entry of the live debug stream. */
export interface StreamEntry {
  type: string;
  t: number;
  channel?: string;
  channels?: string[];
  event?: string;
  socket_id?: string;
  user_id?: string;
  detail?: string;
  count?: number;
  data?: string;
  truncated?: boolean;
  info?: unknown;
}

import type { Series } from '../stats.ts';

export type { Series };

export interface Overview {
  at: number;
  connections: number;
  channels: number;
  subscriptions: number;
  presence_channels: number;
  series: Series;
  busiest: { channel: string; events: number; subscribers: number }[];
  largest: { channel: string; subscribers: number; user_count?: number }[];
  presence: { channel: string; user_count: number; members: { id: string; info?: unknown }[] }[];
}

export interface StoredLookup {
  channel?: string;
  user_id?: string;
  events: { timestamp: number; channel: string; event: string; data: string }[];
  subscriptions: { user_id: string; channel: string; created_at: number }[];
}
