// The web console at /console on the HTTP listener: its page and assets, and the admin-token JSON
// and SSE endpoints it needs beyond the public API (apps themselves are managed through /apps).
// Off without PUSHI_ADMIN_TOKEN: /console answers 404 with a page saying how to turn it on.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { App } from '../apps/app.ts';
import type { ApiDeps } from '../api/deps.ts';
import { jsonBody, type RouteRegistrar } from '../api/http-api.ts';
import type { Reply, RequestContext } from '../api/router.ts';
import { parseTrigger, type TriggerPublisher } from '../api/routes/events.ts';
import type { Persistence } from '../persistence/persistence.ts';
import { HttpError } from '../protocol/errors.ts';
import { safeEqual } from '../protocol/signatures.ts';
import type { Stores } from '../store/stores.ts';
import { overview, serverInfo, stored } from './api.ts';
import type { ConsoleFeed } from './feed.ts';
import { CONSOLE_CSS, CONSOLE_JS, consolePage, offPage } from './page.ts';
import { streamEntries } from './sse.ts';

export interface ConsoleRouteOptions {
  store: Pick<Stores, 'kind' | 'events'>;
  persistence: Persistence;
  /** The same publisher as the HTTP API's (persistence, cluster), timed by the feed. */
  publish: TriggerPublisher;
  feed: ConsoleFeed;
}

// The page loads nothing from elsewhere; the token in sessionStorage is only as safe as the page.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function asset(text: string, contentType: string) {
  return { text, contentType, etag: `"${createHash('sha1').update(text).digest('base64url').slice(0, 20)}"` };
}

function serve(ctx: RequestContext, a: ReturnType<typeof asset>): Reply {
  const headers = { ETag: a.etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (ctx.req.headers['if-none-match'] === a.etag) return { status: 304, text: '', headers };
  return { text: a.text, contentType: a.contentType, headers };
}

/** 404 when the console is off, 401 without the right token. */
function guard(deps: ApiDeps, req: IncomingMessage): void {
  const token = deps.config.adminToken;
  if (!token) throw new HttpError(404, 'The console is off: set PUSHI_ADMIN_TOKEN to turn it on');
  const header = req.headers.authorization ?? '';
  const given = header.startsWith('Bearer ') ? header.slice(7) : '';
  if (!given || !safeEqual(given, token))
    throw new HttpError(401, 'Missing or wrong admin token (Authorization: Bearer <PUSHI_ADMIN_TOKEN>)');
}

export function consoleRoutes(o: ConsoleRouteOptions): RouteRegistrar {
  return (router, deps) => {
    const css = asset(CONSOLE_CSS, 'text/css; charset=utf-8');
    const js = asset(CONSOLE_JS, 'application/javascript; charset=utf-8');
    const html = asset(consolePage(deps.config.pathPrefix), 'text/html; charset=utf-8');

    router.add('GET', '/console', (ctx) => {
      if (!deps.config.adminToken) return { status: 404, text: offPage(), contentType: 'text/html; charset=utf-8' };
      const reply = serve(ctx, html);
      reply.headers = { ...reply.headers, 'Content-Security-Policy': CSP, 'Referrer-Policy': 'no-referrer' };
      return reply;
    });
    const off = () => new HttpError(404, 'The console is off: set PUSHI_ADMIN_TOKEN to turn it on');
    router.add('GET', '/console/console.css', (ctx) => {
      if (!deps.config.adminToken) throw off();
      return serve(ctx, css);
    });
    router.add('GET', '/console/console.js', (ctx) => {
      if (!deps.config.adminToken) throw off();
      return serve(ctx, js);
    });

    /** The app named by :appId, after the token check. */
    const appOf = async (ctx: RequestContext): Promise<App> => {
      guard(deps, ctx.req);
      const app = await deps.apps.findById(ctx.params.appId);
      if (!app) throw new HttpError(404, `Unknown app ${ctx.params.appId}`);
      return app;
    };

    router.add('GET', '/console/api/info', (ctx) => {
      guard(deps, ctx.req);
      return { body: serverInfo(deps, o.store) };
    });
    router.add('GET', '/console/api/apps/:appId/overview', async (ctx) => {
      const app = await appOf(ctx);
      return { body: await overview(deps, o.feed, app.id) };
    });
    router.add('GET', '/console/api/apps/:appId/stored', async (ctx) => {
      const app = await appOf(ctx);
      return { body: await stored(o.store.events, o.persistence, app.id, ctx.query) };
    });
    router.add('GET', '/console/api/apps/:appId/stream', async (ctx) => streamEntries(ctx, o.feed, await appOf(ctx)));
    router.add('POST', '/console/api/apps/:appId/trigger', async (ctx) => {
      const app = await appOf(ctx);
      if (!app.enabled) throw new HttpError(403, 'App is disabled');
      const body = jsonBody(ctx);
      // The form's fields, checked by the same rules (and app limits) as POST /apps/:id/events.
      const t = parseTrigger(app, {
        name: body.event ?? body.name,
        channel: body.channel,
        channels: body.channels,
        data: body.data ?? '',
        persist: body.persist,
      });
      await o.publish(app, t);
      return { body: { ok: true, channels: t.channels } };
    });
  };
}
