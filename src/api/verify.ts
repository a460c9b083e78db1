// Verifying signed REST requests exactly as the Pusher server SDKs sign them.
import type { App } from '../apps/app.ts';
import { HttpError } from '../protocol/errors.ts';
import { canonicalQuery, hmacHex, md5Hex, safeEqual, stringToSign } from '../protocol/signatures.ts';
import { queryNeedsDecoding, searchParams } from '../transport/request-target.ts';

export interface SignedRequest {
  method: string;
  path: string;
  /** The raw query string, without "?". */
  query: string;
  body: Buffer;
}

/** Throws HttpError(401) unless the request carries a valid signature for the app. */
export function verifySignedRequest(app: App, r: SignedRequest, windowSeconds: number, now = Date.now()): void {
  const { params, canonical } = queryParams(r.query);
  const key = params.get('auth_key');
  const ts = params.get('auth_timestamp');
  const signature = params.get('auth_signature');
  if (!key || !ts || !signature) throw new HttpError(401, 'Missing auth_key, auth_timestamp or auth_signature');
  // The key and body_md5 are public (the key is in every client's page, the digest is of the body
  // the caller sent): plain comparison leaks nothing. Only the signature is compared in constant time.
  if (key !== app.key) throw new HttpError(401, 'auth_key does not belong to this app');
  const version = params.get('auth_version');
  if (version !== undefined && version !== '1.0') throw new HttpError(401, 'Unsupported auth_version (expected 1.0)');
  // Decimal digits only: Number() would also take "0x…", "1.7e9", " 17…" and "17….0".
  if (!/^\d{1,12}$/.test(ts))
    throw new HttpError(401, 'auth_timestamp must be seconds since the epoch, in decimal digits');
  const seconds = Number(ts);
  if (Math.abs(now / 1000 - seconds) > windowSeconds) {
    throw new HttpError(401, `Timestamp expired: auth_timestamp must be within ${windowSeconds} s of server time`);
  }
  const bodyMd5 = params.get('body_md5');
  if (r.body.length > 0 || bodyMd5 !== undefined) {
    // Recompute from the bytes received rather than trusting the parameter (a signed body_md5
    // with the body stripped must not pass as a request without one).
    if (!bodyMd5 || bodyMd5 !== md5Hex(r.body)) throw new HttpError(401, 'body_md5 does not match the request body');
  }
  const expected = hmacHex(app.secret, stringToSign(r.method, r.path, canonical ?? canonicalQuery(params)));
  if (!safeEqual(signature, expected))
    throw new HttpError(401, 'Invalid signature: check the app secret and the request path');
}

interface ParsedQuery {
  params: Map<string, string>;
  /** The raw query when it already is canonicalQuery(params) (how the SDKs send it): no re-sorting. */
  canonical?: string;
}

/**
 * The query's parameters, decoded as URLSearchParams decodes them. A repeated key is refused: the
 * signature would cover one value while the route reads the other (query.get returns the first).
 */
function queryParams(query: string): ParsedQuery {
  const params = new Map<string, string>();
  if (queryNeedsDecoding(query)) {
    for (const [k, v] of searchParams(query)) addParam(params, k, v);
    return { params };
  }
  // Nothing to decode: splitting on & and = gives what URLSearchParams would. The SDKs send the
  // signed parameters lower-case and sorted, then auth_signature: then the string to sign is the
  // raw query without it, and sorting and joining can be skipped. One scan, no arrays, no regex.
  let signed = '';
  let previous = '';
  let inOrder = true;
  for (let start = 0; start <= query.length;) {
    let end = query.indexOf('&', start);
    if (end < 0) end = query.length;
    if (end > start) {
      const eq = query.indexOf('=', start);
      const hasValue = eq >= 0 && eq < end;
      const k = query.slice(start, hasValue ? eq : end);
      addParam(params, k, hasValue ? query.slice(eq + 1, end) : '');
      if (k !== 'auth_signature') {
        if (!hasValue || k <= previous || hasUpperCase(k)) inOrder = false;
        previous = k;
        signed = signed === '' ? query.slice(start, end) : `${signed}&${query.slice(start, end)}`;
      }
    }
    start = end + 1;
  }
  return { params, canonical: inOrder ? signed : undefined };
}

function hasUpperCase(k: string): boolean {
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

function addParam(params: Map<string, string>, k: string, v: string): void {
  if (params.has(k)) throw new HttpError(401, `Query parameter "${k.slice(0, 40)}" given twice`);
  params.set(k, v);
}
