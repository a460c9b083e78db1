// Credentials a person brings (moving from Pusher or soketi, or an apps file): checked so they work
// in URLs (/apps/{id}, /app/{key}) and signatures, and are not trivially guessable.
import { randomHex } from '../protocol/ids.ts';

export interface Credentials {
  id: string;
  key: string;
  secret: string;
}

/** Letters, digits and `. _ -`: safe unescaped in a path segment and a query string. */
const URL_SAFE = /^[A-Za-z0-9._-]+$/;
/** Visible ASCII, no spaces: what a Pusher or soketi secret may hold. */
const VISIBLE = /^[\x21-\x7e]+$/;

const RULES: Record<keyof Credentials, { pattern: RegExp; chars: string; min: number; max: number }> = {
  id: { pattern: URL_SAFE, chars: 'letters, digits, ".", "_" and "-"', min: 1, max: 64 },
  key: { pattern: URL_SAFE, chars: 'letters, digits, ".", "_" and "-"', min: 1, max: 64 },
  secret: { pattern: VISIBLE, chars: 'visible ASCII characters (no spaces)', min: 8, max: 256 },
};

/** Why `value` cannot be the app's `field`, or undefined when it can. */
export function credentialError(field: keyof Credentials, value: unknown): string | undefined {
  const r = RULES[field];
  if (typeof value !== 'string') return `"${field}" must be a string`;
  if (value.length < r.min || value.length > r.max)
    return `"${field}" must be ${r.min} to ${r.max} characters long, got ${value.length}`;
  if (!r.pattern.test(value)) return `"${field}" may hold only ${r.chars}`;
  return undefined;
}

/** New credentials from a cryptographically random source; given ones are kept (check them first). */
export function newCredentials(given: Partial<Credentials> = {}): Credentials {
  return {
    id: given.id ?? String(BigInt('0x' + randomHex(6))),
    key: given.key ?? randomHex(10),
    secret: given.secret ?? randomHex(20),
  };
}
