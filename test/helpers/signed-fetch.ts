// HTTP requests signed exactly as the Pusher server SDKs sign them, with overrides for producing
// bad signatures, stale timestamps, mismatched body_md5 and reverse-proxy path prefixes.
import { md5Hex, signRequest } from '../../src/protocol/signatures.ts';
import { RawClient } from './raw-client.ts';
import { APP } from './server.ts';

export interface SignedFetchOptions {
  method?: string;
  /** An object is JSON-encoded; a string or Buffer is sent as is. */
  body?: unknown;
  /** Extra query parameters (signed along with the auth_* ones). */
  query?: Record<string, string>;
  key?: string;
  secret?: string;
  /** Prepended to the URL path only (the SDK signs the path without it). */
  prefix?: string;
  /** Path used in the signature (defaults to the request path). */
  signedPath?: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Body whose MD5 goes into body_md5 (defaults to the body sent). */
  signedBody?: string | Buffer;
  /** Replaces the computed auth_signature. */
  signature?: string;
  /** Query parameters to leave out (e.g. 'auth_signature'). */
  omit?: string[];
  headers?: Record<string, string>;
}

export interface SignedUrl {
  url: string;
  body?: string | Buffer;
}

/** Builds the signed URL (and the body to send) for `path` on `baseUrl`. */
export function signedUrl(baseUrl: string, path: string, o: SignedFetchOptions = {}): SignedUrl {
  const method = (o.method ?? 'GET').toUpperCase();
  const body =
    o.body === undefined
      ? undefined
      : typeof o.body === 'string' || Buffer.isBuffer(o.body)
        ? o.body
        : JSON.stringify(o.body);
  const params: Record<string, string> = {
    ...o.query,
    auth_key: o.key ?? APP.key,
    auth_timestamp: String(o.timestamp ?? Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
  };
  const md5Of = o.signedBody ?? body;
  if (md5Of !== undefined && md5Of.length > 0) params.body_md5 = md5Hex(md5Of);
  params.auth_signature = o.signature ?? signRequest(o.secret ?? APP.secret, method, o.signedPath ?? path, params);
  for (const k of o.omit ?? []) delete params[k];
  const qs = new URLSearchParams(params).toString();
  return { url: `${baseUrl}${o.prefix ?? ''}${path}?${qs}`, body };
}

/** Signs and sends; resolves with the fetch Response. */
export function signedFetch(baseUrl: string, path: string, o: SignedFetchOptions = {}): Promise<Response> {
  const { url, body } = signedUrl(baseUrl, path, o);
  return fetch(url, {
    method: (o.method ?? 'GET').toUpperCase(),
    body: Buffer.isBuffer(body) ? new Uint8Array(body) : body,
    headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...o.headers },
  });
}

/** POST /apps/{appId}/events with a trigger body; resolves with the Response. */
export function trigger(
  baseUrl: string,
  body: unknown,
  o: SignedFetchOptions & { appId?: string } = {},
): Promise<Response> {
  return signedFetch(baseUrl, `/apps/${o.appId ?? APP.id}/events`, { method: 'POST', body, ...o });
}

/**
 * Proves a server still works after an error test: a fresh raw client connects, subscribes to a
 * fresh public channel and receives an event triggered through the signed HTTP API.
 */
export async function assertStillServes(s: { wsUrl: () => string; httpUrl: string }): Promise<void> {
  const c = await RawClient.established(s.wsUrl());
  try {
    const channel = `alive-${Math.random().toString(36).slice(2)}`;
    const ok = await c.subscribe(channel);
    if (ok.event !== 'pusher_internal:subscription_succeeded')
      throw new Error(`subscribe failed: ${c.raw.join(' | ')}`);
    const res = await trigger(s.httpUrl, { name: 'alive', channel, data: '"yes"' });
    if (res.status !== 200) throw new Error(`trigger answered ${res.status}: ${await res.text()}`);
    const got = await c.waitFor((f) => f.event === 'alive' && f.channel === channel);
    if (got.data !== '"yes"') throw new Error(`unexpected data ${String(got.data)}`);
  } finally {
    c.close();
  }
}
