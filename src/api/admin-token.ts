// The admin token (PUSHI_ADMIN_TOKEN) guards app management over HTTP and the web console: one
// check for both, comparing in constant time (digests of equal length, so not even the token's
// length shows in the timing).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../protocol/errors.ts';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when the request carries `Authorization: Bearer <token>`. */
export function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  return given !== '' && timingSafeEqual(digest(given), digest(token));
}

/**
 * Throws unless the request carries the admin token: `off` (the caller's status and message)
 * when no token is configured, 401 when it is missing or wrong.
 */
export function requireAdminToken(
  req: IncomingMessage,
  token: string | undefined,
  off: { status: number; message: string },
): void {
  if (!token) throw new HttpError(off.status, off.message);
  if (!bearerMatches(req, token))
    throw new HttpError(401, 'Missing or wrong admin token (Authorization: Bearer <PUSHI_ADMIN_TOKEN>)');
}
