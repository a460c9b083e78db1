// Calls to the server with the admin token in the Authorization header (never in a URL).
import { BASE, S, session } from './state.ts';
import { toast } from './ui.ts';

export const UNAUTHORIZED = 'unauthorized';

export function authHeaders(json: boolean): Record<string, string> {
  const hd: Record<string, string> = { Authorization: 'Bearer ' + S.token };
  if (json) hd['Content-Type'] = 'application/json';
  return hd;
}

/** Calls the server; rejects with the server's error message. A refused token signs out. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(BASE + path, {
    method,
    headers: authHeaders(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (res.status === 401) {
    session.signOut('The admin token was refused; sign in again.');
    throw new Error(UNAUTHORIZED);
  }
  const json = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new Error(json.error || 'HTTP ' + res.status);
  return json;
}

/** Shows a failed call (a refused token has already signed out). */
export function fail(e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  if (message !== UNAUTHORIZED) toast(message, true);
}
