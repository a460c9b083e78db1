// Splitting a request target ("/path?query") into path and query. A WHATWG URL parse costs several
// microseconds per request; most targets are plain, and for those a split gives the same answer.

export interface RequestTarget {
  /** Percent-encoded path, as the SDK signed it. */
  path: string;
  /** The query string without "?" (not decoded). */
  search: string;
}

// Characters a URL parse leaves unchanged in a path. "%" is left out on purpose: "%2e%2e" is a
// dot segment to the URL parser, and escapes are rare enough to take the slow path.
// "//x" is an authority to the URL parser ("//host/path"), so the second character is not "/".
const PLAIN_PATH = /^\/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@][A-Za-z0-9\-._~!$&'()*+,;=:@/]*)?$/;
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/;
// The parser trims spaces and controls, drops tabs and newlines, cuts at "#" and escapes non-ASCII
// (which URLSearchParams then decodes differently from the raw text when "%" escapes follow).
const NOT_PLAIN = /[^\x21-\x7e]|#/;

/** Path and query of a request target; undefined when it is not a valid URL. */
export function parseRequestTarget(raw: string | undefined): RequestTarget | undefined {
  const target = raw ?? '/';
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  if (PLAIN_PATH.test(path) && !DOT_SEGMENT.test(path) && !NOT_PLAIN.test(target)) {
    return { path, search: q < 0 ? '' : target.slice(q + 1) };
  }
  return parseSlowly(target);
}

function parseSlowly(target: string): RequestTarget | undefined {
  try {
    const url = new URL(target, 'http://localhost');
    return { path: url.pathname, search: url.search.slice(1) };
  } catch {
    return undefined;
  }
}

/** The decoded parameters of a raw query string (a leading "?" in it is part of the first key). */
export function searchParams(search: string): URLSearchParams {
  return new URLSearchParams(`?${search}`); // the constructor drops one leading "?": give it ours
}

/**
 * True when a raw query has escapes or "+" to decode; otherwise splitting on & and = reads it as
 * URLSearchParams would.
 */
export function queryNeedsDecoding(search: string): boolean {
  return search.includes('%') || search.includes('+');
}

/**
 * One decoded parameter of a raw query string (the first when repeated, as URLSearchParams.get
 * gives it), null when absent. Plain queries are scanned in place: a WebSocket upgrade reads only
 * `protocol`, and a URLSearchParams per connection is work for nothing.
 */
export function queryParam(search: string, name: string): string | null {
  if (queryNeedsDecoding(search)) return searchParams(search).get(name);
  for (let start = 0; start <= search.length;) {
    let end = search.indexOf('&', start);
    if (end < 0) end = search.length;
    if (end > start) {
      // an empty segment ("a&&b") is no parameter, not one with an empty name
      const eq = search.indexOf('=', start);
      const keyEnd = eq >= 0 && eq < end ? eq : end;
      if (keyEnd - start === name.length && search.startsWith(name, start))
        return keyEnd === end ? '' : search.slice(eq + 1, end);
    }
    start = end + 1;
  }
  return null;
}
