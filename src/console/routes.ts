// The web console at /console on the HTTP listener: its page and assets (built from
// src/console/browser/), and the admin-token JSON and SSE endpoints it needs. Apps are managed
// through the admin API's own routes, answered under /console/api/apps without notification secrets.
// Off without PUSHI_ADMIN_TOKEN: /console answers 404 with a page saying how to turn it on.
import type { App } from '../apps/app.ts';
import { requireAdminToken } from '../api/admin-token.ts';
import { asset, CONTENT_TYPES, serveAsset, serveBrowserAsset } from '../api/assets.ts';
import { jsonBody, type RouteRegistrar } from '../api/http-api.ts';
import type { RequestContext } from '../api/router.ts';
import { parseTrigger, type TriggerPublisher } from '../api/routes/events.ts';
import type { Persistence } from '../persistence/persistence.ts';
import { HttpError } from '../protocol/errors.ts';
import type { Stores } from '../store/stores.ts';
import { overview, serverInfo, stored } from './api.ts';
import type { ConsoleFeed } from './feed.ts';
import { adminThroughConsole } from './app-views.ts';
import { consolePage, offPage } from './page.ts';
import { streamEntries } from './sse.ts';

export interface ConsoleRouteOptions {
  store: Pick<Stores, 'kind' | 'events'>;
  persistence: Persistence;
  /** The same publisher as the HTTP API's (persistence, cluster), timed by the feed. */
  publish: TriggerPublisher;
  feed: ConsoleFeed;
}

// The page loads nothing from elsewhere; the token in sessionStorage is only as safe as the page.
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
const OFF = { status: 404, message: 'The console is off: set PUSHI_ADMIN_TOKEN to turn it on' };
// Checked on every load (304 when unchanged), so a new version shows at once.
const REVALIDATE = 'no-cache';

export function consoleRoutes(o: ConsoleRouteOptions): RouteRegistrar {
  return (router, deps) => {
    const html = asset(consolePage(deps.config.pathPrefix));
    const guard = (ctx: RequestContext) => requireAdminToken(ctx.req, deps.config.adminToken, OFF);
    const requireOn = () => {
      if (!deps.config.adminToken) throw new HttpError(OFF.status, OFF.message);
    };

    router.add('GET', '/console', (ctx) => {
      if (!deps.config.adminToken) return { status: 404, text: offPage(), contentType: CONTENT_TYPES.html };
      return serveAsset(ctx, html, CONTENT_TYPES.html, REVALIDATE, {
        'Content-Security-Policy': CSP,
        'Referrer-Policy': 'no-referrer',
      });
    });
    router.add('GET', '/console/console.css', (ctx) => {
      requireOn();
      return serveBrowserAsset(ctx, deps, 'console/console.css', REVALIDATE);
    });
    router.add('GET', '/console/console.js', (ctx) => {
      requireOn();
      return serveBrowserAsset(ctx, deps, 'console/console.js', REVALIDATE);
    });

    // Apps, through the admin API with notification secrets left out; the list says how many
    // connections each app has on this node (the Live tab opens on the busiest).
    const connections = (id: string) => ({ connections: deps.hub.states.get(id)?.connections.size ?? 0 });
    const admin = adminThroughConsole(router, guard, connections);
    router.add('GET', '/console/api/apps', admin);
    router.add('POST', '/console/api/apps', admin);
    router.add('GET', '/console/api/apps/:appId', admin);
    router.add('PATCH', '/console/api/apps/:appId', admin);
    router.add('DELETE', '/console/api/apps/:appId', admin);
    router.add('POST', '/console/api/apps/:appId/rotate_secret', admin);

    /** The app named by :appId, after the token check. */
    const appOf = async (ctx: RequestContext): Promise<App> => {
      guard(ctx);
      const app = await deps.apps.findById(ctx.params.appId);
      if (!app) throw new HttpError(404, `Unknown app ${ctx.params.appId}`);
      return app;
    };

    router.add('GET', '/console/api/info', (ctx) => {
      guard(ctx);
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
