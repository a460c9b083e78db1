// Notification targets: the four kinds, how each is written in a request, and what a message is.
import { channelRules } from '../../protocol/channels.ts';
import { verifyChannelAuth } from '../../protocol/signatures.ts';
import type { App } from '../../apps/app.ts';

export const TARGET_KINDS = ['web_push', 'apns', 'email', 'webhook'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface WebPushTarget {
  endpoint: string;
  /** The browser's P-256 public key, base64url. */
  p256dh: string;
  /** The browser's auth secret, base64url. */
  auth: string;
}

/** A target ready to store or send to: `address` is its identity (endpoint, token, e-mail, URL). */
export interface ParsedTarget {
  kind: TargetKind;
  address: string;
  target: Record<string, unknown>;
}

/** Per-kind payloads a trigger or direct message may carry for notification targets (also the SDK's type). */
export interface NotificationFields {
  /** Web Push body (else `data`); objects are sent as JSON. */
  web_push?: unknown;
  /** APNs payload (else `push`, else `data`): an object with `aps` is sent as is, a string becomes the alert. */
  apn?: unknown;
  push?: unknown;
  /** E-mail subject (else "[Pushi] <event>"), plain body (else a summary of channel, event, data), HTML body. */
  subject?: string;
  body?: string;
  html?: string;
}

/** What a trigger or client event becomes for notification targets (the original's message). */
export interface NotifyMessage extends NotificationFields {
  channel: string;
  event: string;
  /** The event data as sent to sockets (a string; JSON text for objects). */
  data: string;
  mid?: string;
  timestamp?: number;
  user_id?: string;
}

/** The optional notification fields a trigger body may carry next to name/data/channels. */
export const MESSAGE_EXTRAS = ['web_push', 'apn', 'push', 'subject', 'body', 'html'] as const;
export type MessageExtras = Partial<Pick<NotifyMessage, (typeof MESSAGE_EXTRAS)[number]>>;

export class TargetError extends Error {}

/** The notification fields of a trigger body, undefined when none, or why they are wrong. */
export function notifyExtras(body: Record<string, unknown>): MessageExtras | undefined | string {
  let out: Record<string, unknown> | undefined;
  for (const k of MESSAGE_EXTRAS) {
    const v = body[k];
    if (v === undefined || v === null) continue;
    if ((k === 'subject' || k === 'body' || k === 'html') && typeof v !== 'string') return `"${k}" must be a string`;
    (out ??= {})[k] = v;
  }
  return out as MessageExtras | undefined;
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const EMAIL = /^[^\s@<>",;]{1,64}@[^\s@<>",;]{1,252}$/;

function httpUrl(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length > 2048 || !URL.canParse(v) || !/^https?:$/.test(new URL(v).protocol)) {
    throw new TargetError(`${what} must be an http(s) URL`);
  }
  return v;
}

function key(v: unknown, what: string, bytes: number): string {
  if (typeof v !== 'string' || !B64URL.test(v) || Buffer.from(v, 'base64url').length !== bytes) {
    throw new TargetError(`${what} must be base64url of ${bytes} bytes`);
  }
  return v.replace(/=+$/, '');
}

/**
 * A target as given in a request: Web Push {endpoint, p256dh, auth} (or a PushSubscription's JSON),
 * or a string / {token|email|url}.
 */
export function parseTarget(kind: unknown, raw: unknown): ParsedTarget {
  if (!(TARGET_KINDS as readonly unknown[]).includes(kind))
    throw new TargetError(`kind must be one of ${TARGET_KINDS.join(', ')}`);
  const obj = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : undefined;
  switch (kind as TargetKind) {
    case 'web_push': {
      if (!obj) throw new TargetError('a web_push target is {endpoint, p256dh, auth}');
      const keys = (obj.keys && typeof obj.keys === 'object' ? obj.keys : obj) as Record<string, unknown>;
      const endpoint = httpUrl(obj.endpoint, 'endpoint');
      const t: WebPushTarget = { endpoint, p256dh: key(keys.p256dh, 'p256dh', 65), auth: key(keys.auth, 'auth', 16) };
      return { kind: 'web_push', address: endpoint, target: { ...t } };
    }
    case 'apns': {
      const token = obj ? obj.token : raw;
      if (typeof token !== 'string' || !/^[0-9a-fA-F]{32,400}$/.test(token))
        throw new TargetError('an apns target is a hex device token');
      const t = token.toLowerCase();
      return { kind: 'apns', address: t, target: { token: t } };
    }
    case 'email': {
      const email = obj ? obj.email : raw;
      if (typeof email !== 'string' || !EMAIL.test(email.trim()))
        throw new TargetError('an email target is an e-mail address');
      return { kind: 'email', address: email.trim(), target: { email: email.trim() } };
    }
    case 'webhook': {
      const url = httpUrl(obj ? obj.url : raw, 'a webhook target');
      return { kind: 'webhook', address: url, target: { url } };
    }
  }
}

/**
 * Signed channels (private, presence, personal, peer…) need the socket-style token with the target's
 * address as socket id.
 */
export function channelAuthError(app: App, channel: string, address: string, auth: unknown): string | undefined {
  if (!channelRules(channel).signed) return undefined;
  if (auth === undefined)
    return `${channel} needs channel_auth: key:HMAC-SHA256(secret, "<target address>:${channel}")`;
  return verifyChannelAuth(auth, app.key, app.secret, address, channel)
    ? undefined
    : 'channel_auth does not match the target and channel';
}
