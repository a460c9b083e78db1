// Signatures as Pusher defines them: channel auth, user sign-in, signed HTTP requests, webhooks.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export function hmacHex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

export function md5Hex(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

/** Constant-time string comparison (length leaks only, as with any HMAC of fixed size). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) {
    timingSafeEqual(x, x); // same work either way
    return false;
  }
  return timingSafeEqual(x, y);
}

/** `key:hex(HMAC(secret, socket_id:channel[:channel_data]))` as pusher.authorizeChannel makes it. */
export function channelAuth(key: string, secret: string, socketId: string, channel: string, channelData?: string): string {
  const toSign = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${key}:${hmacHex(secret, toSign)}`;
}

export function verifyChannelAuth(
  auth: unknown,
  key: string,
  secret: string,
  socketId: string,
  channel: string,
  channelData?: string,
): boolean {
  if (typeof auth !== 'string') return false;
  return safeEqual(auth, channelAuth(key, secret, socketId, channel, channelData));
}

export function userAuth(key: string, secret: string, socketId: string, userData: string): string {
  return `${key}:${hmacHex(secret, `${socketId}::user::${userData}`)}`;
}

export function verifyUserAuth(auth: unknown, key: string, secret: string, socketId: string, userData: string): boolean {
  if (typeof auth !== 'string') return false;
  return safeEqual(auth, userAuth(key, secret, socketId, userData));
}

/**
 * The string the Pusher server SDKs sign for a REST call: method, path, and every query
 * parameter but auth_signature, keys lower-cased and sorted, values not URL-escaped.
 */
export function requestStringToSign(method: string, path: string, params: Record<string, string>): string {
  const query = Object.keys(params)
    .filter((k) => k !== 'auth_signature')
    .map((k) => [k.toLowerCase(), params[k]] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${method.toUpperCase()}\n${path}\n${query}`;
}

export function signRequest(secret: string, method: string, path: string, params: Record<string, string>): string {
  return hmacHex(secret, requestStringToSign(method, path, params));
}

/** X-Pusher-Signature of a webhook body. */
export function webhookSignature(secret: string, body: string): string {
  return hmacHex(secret, body);
}
