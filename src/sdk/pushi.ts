// The Pushi server SDK: signed calls to the HTTP API, channel and user signatures, webhook checks.
// Requests are signed exactly as the Pusher server SDKs sign them (protocol/signatures.ts).
import { channelRules } from '../protocol/channels.ts';
import { channelAuth, md5Hex, safeEqual, signRequest, userAuth, webhookSignature } from '../protocol/signatures.ts';
import { PushiError, WebhookError } from './errors.ts';
import type {
  AddTargetParams,
  ChannelAuthResult,
  DirectMessage,
  DirectResult,
  TargetFilterParams,
  TargetInfo,
  TargetSpec,
  ChannelInfo,
  PushiConfig,
  StoredEvent,
  TriggerParams,
  UserAuthResult,
  UserData,
  WebhookPayload,
} from './types.ts';

const SOCKET_ID = /^\d+\.\d+$/;

type HeaderBag = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

export class Pushi {
  readonly appId: string;
  readonly appKey: string;
  private readonly appSecret: string;
  /** `http(s)://host:port` of the HTTP API. */
  readonly baseUrl: string;
  private readonly timeout: number;

  constructor(config: PushiConfig = {}, env: Record<string, string | undefined> = process.env) {
    const appId = config.appId ?? env.PUSHI_APP_ID;
    const appKey = config.appKey ?? env.PUSHI_APP_KEY;
    const appSecret = config.appSecret ?? env.PUSHI_APP_SECRET;
    if (!appId || !appKey || !appSecret) {
      throw new TypeError('Pushi needs appId, appKey and appSecret (or PUSHI_APP_ID, PUSHI_APP_KEY, PUSHI_APP_SECRET)');
    }
    const useTLS = config.useTLS ?? false;
    const host = config.host ?? env.PUSHI_HOST ?? '127.0.0.1';
    const port = config.port ?? (env.PUSHI_PORT ? Number(env.PUSHI_PORT) : useTLS ? 443 : 8080);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new TypeError(`Invalid port ${port}`);
    this.appId = appId;
    this.appKey = appKey;
    this.appSecret = appSecret;
    this.baseUrl = `${useTLS ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.timeout = config.timeout ?? 10_000;
  }

  /** Triggers an event on one or more channels (the seed's trigger_event). */
  triggerEvent(params: TriggerParams): Promise<{ channels?: Record<string, ChannelInfo> }> {
    return this.request('POST', `/apps/${this.appId}/events`, {}, triggerBody(params));
  }

  /** Several triggers in one request (the app's maxBatchEvents bounds it). */
  triggerBatch(batch: TriggerParams[]): Promise<{ batch?: ChannelInfo[] }> {
    return this.request('POST', `/apps/${this.appId}/batch_events`, {}, { batch: batch.map(triggerBody) });
  }

  /** Adds `event` (a channel name) to the user's personal channel (personal-<userId>). */
  subscribe(params: { userId: string; event: string }): Promise<Record<string, unknown>> {
    return this.request('POST', `/apps/${this.appId}/subscribe`, {}, { user_id: params.userId, event: params.event });
  }

  unsubscribe(params: { userId: string; event: string }): Promise<Record<string, unknown>> {
    return this.request('POST', `/apps/${this.appId}/unsubscribe`, {}, { user_id: params.userId, event: params.event });
  }

  /** Occupied channels, optionally by prefix and with `info` attributes. */
  channels(params: { prefix?: string; info?: string } = {}): Promise<{ channels: Record<string, ChannelInfo> }> {
    const query: Record<string, string> = {};
    if (params.prefix) query.filter_by_prefix = params.prefix;
    if (params.info) query.info = params.info;
    return this.request('GET', `/apps/${this.appId}/channels`, query);
  }

  /** One channel's state: `info` is a comma list of user_count, subscription_count, cache. */
  channel(name: string, info?: string): Promise<ChannelInfo> {
    return this.request('GET', `/apps/${this.appId}/channels/${encodeURIComponent(name)}`, info ? { info } : {});
  }

  /** The members of a presence channel. */
  async users(name: string): Promise<Array<{ id: string }>> {
    const res = await this.request<{ users: Array<{ id: string }> }>(
      'GET',
      `/apps/${this.appId}/channels/${encodeURIComponent(name)}/users`,
    );
    return res.users;
  }

  /** Stored events of a channel, newest first; with `since` (a stored event's mid) those after it, oldest first. */
  latest(
    channel: string,
    params: { skip?: number; count?: number; since?: string } = {},
  ): Promise<{ channel: string; skip?: number; since?: string; count: number; events: StoredEvent[] }> {
    const query: Record<string, string> = {};
    if (params.since !== undefined) query.since = params.since;
    if (params.skip !== undefined) query.skip = String(params.skip);
    if (params.count !== undefined) query.count = String(params.count);
    return this.request('GET', `/apps/${this.appId}/channels/${encodeURIComponent(channel)}/events`, query);
  }

  /** Registers a notification target on a channel (idempotent; a Web Push subscription's keys are refreshed). */
  addTarget(params: AddTargetParams): Promise<{ channel: string; kind: string; address: string; created: boolean }> {
    const body: Record<string, unknown> = { channel: params.channel, kind: params.kind, target: params.target };
    // Signed channels want the socket-style token, with the target's address as socket id.
    if (channelRules(params.channel).signed)
      body.channel_auth = channelAuth(this.appKey, this.appSecret, targetAddress(params), params.channel);
    return this.request('POST', `/apps/${this.appId}/targets`, {}, body);
  }

  /** Targets on a channel, or one target (kind + address) on every channel, or both. */
  async listTargets(filter: TargetFilterParams): Promise<TargetInfo[]> {
    return (await this.request<{ targets: TargetInfo[] }>('GET', `/apps/${this.appId}/targets`, targetQuery(filter)))
      .targets;
  }

  /** Removes the targets matching the filter (a channel, or kind + address, or both). */
  removeTargets(filter: TargetFilterParams): Promise<{ removed: number; targets: TargetInfo[] }> {
    return this.request('DELETE', `/apps/${this.appId}/targets`, targetQuery(filter));
  }

  /** Sends one message straight to the given targets (no channel involved); one result per target. */
  async sendMessage(message: DirectMessage): Promise<DirectResult[]> {
    const { data, ...rest } = message;
    const body = { ...rest, data: typeof data === 'string' ? data : JSON.stringify(data) };
    return (await this.request<{ results: DirectResult[] }>('POST', `/apps/${this.appId}/messaging`, {}, body)).results;
  }

  /** The app's VAPID public key for browsers' pushManager.subscribe (made on first request). */
  async vapidPublicKey(): Promise<string> {
    return (await this.request<{ vapid_public_key: string }>('GET', `/apps/${this.appId}/vapid_key`)).vapid_public_key;
  }

  /** Closes every connection signed in as the user (pusher:signin). */
  terminateUserConnections(userId: string): Promise<Record<string, unknown>> {
    return this.request(
      'POST',
      `/apps/${this.appId}/users/${encodeURIComponent(userId)}/terminate_connections`,
      {},
      {},
    );
  }

  /** The answer an auth endpoint gives for a private, personal, peer or (with channelData) presence channel. */
  authorizeChannel(
    socketId: string,
    channel: string,
    channelData?: { user_id: string | number; user_info?: unknown; [k: string]: unknown },
  ): ChannelAuthResult {
    checkSocketId(socketId);
    if (!channel) throw new TypeError('authorizeChannel: the channel name is required');
    if (channelData === undefined) return { auth: channelAuth(this.appKey, this.appSecret, socketId, channel) };
    const data = JSON.stringify(channelData);
    return { auth: channelAuth(this.appKey, this.appSecret, socketId, channel, data), channel_data: data };
  }

  /** The answer a user-authentication endpoint gives for pusher:signin. */
  authenticateUser(socketId: string, user: UserData): UserAuthResult {
    checkSocketId(socketId);
    if (typeof user?.id !== 'string' || user.id.length === 0)
      throw new TypeError('authenticateUser: user.id must be a non-empty string');
    const userData = JSON.stringify(user);
    return { auth: userAuth(this.appKey, this.appSecret, socketId, userData), user_data: userData };
  }

  /** Checks a webhook's X-Pusher-Key and X-Pusher-Signature against the raw body; returns it parsed. */
  verifyWebhook(headers: HeaderBag, body: string | Uint8Array): WebhookPayload {
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    const key = header(headers, 'x-pusher-key');
    const signature = header(headers, 'x-pusher-signature');
    if (!key || !safeEqual(key, this.appKey)) throw new WebhookError('Webhook X-Pusher-Key does not match this app');
    if (!signature || !safeEqual(signature, webhookSignature(this.appSecret, text))) {
      throw new WebhookError('Webhook X-Pusher-Signature does not match the body');
    }
    try {
      return JSON.parse(text) as WebhookPayload;
    } catch {
      throw new WebhookError('Webhook body is not JSON');
    }
  }

  private async request<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): Promise<T> {
    const bodyText = body === undefined ? undefined : JSON.stringify(body);
    const params: Record<string, string> = {
      ...query,
      auth_key: this.appKey,
      auth_timestamp: String(Math.floor(Date.now() / 1000)),
      auth_version: '1.0',
    };
    if (bodyText !== undefined) params.body_md5 = md5Hex(bodyText);
    params.auth_signature = signRequest(this.appSecret, method, path, params);
    const url = `${this.baseUrl}${path}?${new URLSearchParams(params)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: bodyText === undefined ? {} : { 'Content-Type': 'application/json' },
        body: bodyText,
        signal: AbortSignal.timeout(this.timeout),
      });
    } catch (err) {
      throw new PushiError(`${method} ${path} failed: ${(err as Error).message}`, 0, undefined, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      parsed = undefined;
    }
    if (!res.ok) {
      const message = (parsed as { error?: unknown } | undefined)?.error;
      throw new PushiError(typeof message === 'string' ? message : text || `HTTP ${res.status}`, res.status, text);
    }
    if (parsed === undefined)
      throw new PushiError(`${method} ${path} answered with something that is not JSON`, res.status, text);
    return parsed as T;
  }
}

function triggerBody(p: TriggerParams): Record<string, unknown> {
  if (!p.event) throw new TypeError('trigger: event is required');
  const channels = p.channels ?? (p.channel !== undefined ? [p.channel] : []);
  if (channels.length === 0) throw new TypeError('trigger: channel or channels is required');
  if (p.socketId !== undefined) checkSocketId(p.socketId);
  const body: Record<string, unknown> = {
    name: p.event,
    data: typeof p.data === 'string' ? p.data : JSON.stringify(p.data),
    channels,
  };
  if (p.socketId !== undefined) body.socket_id = p.socketId;
  if (p.persist !== undefined) body.persist = p.persist;
  if (p.info !== undefined) body.info = p.info;
  for (const k of ['web_push', 'apn', 'push', 'subject', 'body', 'html'] as const)
    if (p[k] !== undefined) body[k] = p[k];
  return body;
}

/** What the server identifies a target by (and signs channel tokens with). */
function targetAddress(t: TargetSpec): string {
  if (t.kind === 'web_push') return t.target.endpoint;
  if (t.kind === 'apns') return t.target.toLowerCase();
  return t.target.trim();
}

function targetQuery(f: TargetFilterParams): Record<string, string> {
  const q: Record<string, string> = {};
  if (f.channel !== undefined) q.channel = f.channel;
  if (f.kind !== undefined) q.kind = f.kind;
  if (f.address !== undefined) q.address = f.address;
  return q;
}

function checkSocketId(socketId: string): void {
  if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) throw new TypeError(`Invalid socket id "${socketId}"`);
}

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function')
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : bag[key];
  return Array.isArray(v) ? v[0] : v;
}
