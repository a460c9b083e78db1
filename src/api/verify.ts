// Verifying signed REST requests exactly as the Pusher server SDKs sign them.
import type { App } from '../apps/app.ts';
import { HttpError } from '../protocol/errors.ts';
import { md5Hex, safeEqual, signRequest } from '../protocol/signatures.ts';

export interface SignedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Buffer;
}

/** Throws HttpError(401) unless the request carries a valid signature for the app. */
export function verifySignedRequest(app: App, r: SignedRequest, windowSeconds: number, now = Date.now()): void {
  // Null prototype: a `__proto__` parameter is a key like any other. A repeated key is refused:
  // the signature would cover one value while the route reads the other (query.get = the first).
  const params: Record<string, string> = Object.create(null);
  for (const [k, v] of r.query) {
    if (k in params) throw new HttpError(401, `Query parameter "${k.slice(0, 40)}" given twice`);
    params[k] = v;
  }
  const { auth_key: key, auth_timestamp: ts, auth_signature: signature } = params;
  if (!key || !ts || !signature) throw new HttpError(401, 'Missing auth_key, auth_timestamp or auth_signature');
  if (!safeEqual(key, app.key)) throw new HttpError(401, 'auth_key does not belong to this app');
  if (params.auth_version !== undefined && params.auth_version !== '1.0') throw new HttpError(401, 'Unsupported auth_version (expected 1.0)');
  const seconds = Number(ts);
  if (!Number.isFinite(seconds) || Math.abs(now / 1000 - seconds) > windowSeconds) {
    throw new HttpError(401, `Timestamp expired: auth_timestamp must be within ${windowSeconds} s of server time`);
  }
  if (r.body.length > 0 || params.body_md5 !== undefined) {
    // Recompute from the bytes received rather than trusting the parameter (a signed body_md5
    // with the body stripped must not pass as a request without one).
    if (!params.body_md5 || !safeEqual(params.body_md5, md5Hex(r.body))) throw new HttpError(401, 'body_md5 does not match the request body');
  }
  const expected = signRequest(app.secret, r.method, r.path, params);
  if (!safeEqual(signature, expected)) throw new HttpError(401, 'Invalid signature: check the app secret and the request path');
}
