// Signatures as Pusher defines them: channel auth, user sign-in, signed HTTP requests, webhooks.
import { hash, timingSafeEqual } from 'node:crypto';
import { hmacHex } from './hmac.ts';

export { hmacHex };

export function md5Hex(body: Buffer | string): string {
  return hash('md5', body, 'hex'); // one-shot: no Hash object per request
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
export function channelAuth(
  key: string,
  secret: string,
  socketId: string,
  channel: string,
  channelData?: string,
): string {
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

export function verifyUserAuth(
  auth: unknown,
  key: string,
  secret: string,
  socketId: string,
  userData: string,
): boolean {
  if (typeof auth !== 'string') return false;
  return safeEqual(auth, userAuth(key, secret, socketId, userData));
}

/**
 * The string the Pusher server SDKs sign for a REST call: method, path, and every query
 * parameter but auth_signature, keys lower-cased and sorted, values not URL-escaped.
 */
export function requestStringToSign(
  method: string,
  path: string,
  params: Record<string, string> | Map<string, string>,
): string {
  return stringToSign(method, path, canonicalQuery(params));
}

/** What is signed, for a query already in canonical form (see canonicalQuery). */
export function stringToSign(method: string, path: string, canonical: string): string {
  return `${method.toUpperCase()}\n${path}\n${canonical}`;
}

/** `k=v&…` of every parameter but auth_signature, keys lower-cased and sorted. */
export function canonicalQuery(params: Record<string, string> | Map<string, string>): string {
  // Loops rather than filter/map/sort/map/join: this runs on every signed request.
  const pairs: [string, string][] = [];
  const entries = params instanceof Map ? params : Object.entries(params);
  for (const [k, v] of entries) if (k !== 'auth_signature') pairs.push([k.toLowerCase(), v]);
  pairs.sort(byKey);
  let query = '';
  for (let i = 0; i < pairs.length; i++) query += `${i ? '&' : ''}${pairs[i][0]}=${pairs[i][1]}`;
  return query;
}

const byKey = (a: [string, string], b: [string, string]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

export function signRequest(
  secret: string,
  method: string,
  path: string,
  params: Record<string, string> | Map<string, string>,
): string {
  return hmacHex(secret, requestStringToSign(method, path, params));
}

/** X-Pusher-Signature of a webhook body. */
export function webhookSignature(secret: string, body: string): string {
  return hmacHex(secret, body);
}
