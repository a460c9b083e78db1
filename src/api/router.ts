// A small method + path router. Pushi's API is a dozen routes; signature checks need the raw body
// and the exact path, so we keep the HTTP layer to node:http and this table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { App } from '../apps/app.ts';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path with the configured prefix removed: the path the SDK signed. */
  path: string;
  /** The raw query string, without "?". */
  search: string;
  /** The decoded query parameters (parsed on first use). */
  query: URLSearchParams;
  params: Record<string, string>;
  /** The raw body (read before the handler runs, bounded). */
  body: Buffer;
  /** Set by the signed-request check for /apps/{id}/… routes. */
  app?: App;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Raw text instead of JSON (HTML, JS, metrics). */
  text?: string | Buffer;
  contentType?: string;
  /** The handler wrote the response itself (Server-Sent Events): nothing more is sent. */
  streamed?: boolean;
}

export type Handler = (ctx: RequestContext) => Promise<Reply> | Reply;

export interface RouteOptions {
  /** Verify the Pusher request signature against the app named by :appId. */
  signed?: boolean;
  /** Require the admin token. */
  admin?: boolean;
}

interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
  options: RouteOptions;
  /** Route label for metrics (the pattern, not the concrete path). */
  label: string;
  /** Literal text every matching path starts with, and ends with (before an optional "/"). */
  head: string;
  tail: string;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

export class Router {
  private readonly routes: Route[] = [];

  add(method: string, path: string, handler: Handler, options: RouteOptions = {}): this {
    const keys: string[] = [];
    // Literal characters match themselves ("." in /pushi.js is not "any character").
    const source = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:(\w+)/g, (_, key: string) => {
      keys.push(key);
      return '([^/]+)';
    });
    const literals = path.split(/:\w+/); // [path] when there are no parameters
    const head = literals[0];
    const tail = literals[literals.length - 1];
    this.routes.push({ method, pattern: new RegExp(`^${source}/?$`), keys, handler, options, label: path, head, tail });
    return this;
  }

  /** The route for a request, or `methods` allowed on that path when only the method differs. */
  match(method: string, path: string): Match | { methods: string[] } | undefined {
    const methods: string[] = [];
    for (const route of this.routes) {
      // Every request scans the table: two string tests rule out nearly every route before its regex.
      if (!path.startsWith(route.head) || !endsWithTail(path, route.tail)) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        methods.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      for (let i = 0; i < route.keys.length; i++) params[route.keys[i]] = safeDecode(m[i + 1]);
      return { route, params };
    }
    return methods.length ? { methods } : undefined;
  }
}

/** The path ends with the route's literal tail, or with it and the one "/" the pattern allows. */
function endsWithTail(path: string, tail: string): boolean {
  return path.endsWith(tail) || (path.endsWith('/') && path.endsWith(tail, path.length - 1));
}

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
