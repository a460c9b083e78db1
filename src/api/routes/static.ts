// GET /pushi.js (the browser client), GET / (the demo page) and the demo's trigger and auth routes.
// The demo routes act with the demo app's secret, so they answer only in demo mode (PUSHI_DEMO).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { App } from '../../apps/app.ts';
import { DEMO_CSS, DEMO_JS, demoPage, landingPage } from '../../demo/page.ts';
import { channelNameError, channelRules } from '../../protocol/channels.ts';
import { HttpError } from '../../protocol/errors.ts';
import { channelAuth } from '../../protocol/signatures.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody, type RouteRegistrar } from '../http-api.ts';
import type { Reply, RequestContext } from '../router.ts';

const DEMO_CHANNEL_PREFIX = 'presence-demo';
const DEMO_NAME = /^[A-Za-z0-9_.-]{1,24}$/;
const SOCKET_ID = /^\d+\.\d+$/;

interface Asset {
  text: string;
  etag: string;
}

let bundle: Promise<Asset> | undefined;

/** The minified client: dist/pushi.js when compiled; built from src in memory when run from source. */
function clientBundle(): Promise<Asset> {
  bundle ??= (async () => {
    let text: string;
    if (fileURLToPath(import.meta.url).endsWith('.ts')) {
      const script = new URL('../../../scripts/build-client.mjs', import.meta.url).href;
      text = await (await import(script)).bundleClient();
    } else {
      text = await readFile(new URL('../../pushi.js', import.meta.url), 'utf8');
    }
    return asset(text);
  })();
  bundle.catch(() => (bundle = undefined)); // try again on the next request
  return bundle;
}

function asset(text: string): Asset {
  return { text, etag: `"${createHash('sha1').update(text).digest('base64url').slice(0, 20)}"` };
}

function serve(ctx: RequestContext, a: Asset, contentType: string, maxAge: number): Reply {
  const headers = { ETag: a.etag, 'Cache-Control': `public, max-age=${maxAge}` };
  if (ctx.req.headers['if-none-match'] === a.etag) return { status: 304, text: '', headers };
  return { text: a.text, contentType, headers };
}

/** The demo app, fresh from the app source, or 404 when demo mode is off. */
async function demoApp(deps: ApiDeps): Promise<App> {
  if (!deps.config.demo) throw new HttpError(404, 'Demo mode is off (PUSHI_DEMO=0)');
  if (!deps.demoApp) throw new HttpError(404, 'No demo app on this server');
  const app = await deps.apps.findById(deps.demoApp.id);
  if (!app) throw new HttpError(404, 'The demo app no longer exists');
  if (!app.enabled) throw new HttpError(403, 'The demo app is disabled');
  return app;
}

export const staticRoutes: RouteRegistrar = (router, deps) => {
  const css = asset(DEMO_CSS);
  const js = asset(DEMO_JS);

  router.add('GET', '/pushi.js', async (ctx) => {
    let a: Asset;
    try {
      a = await clientBundle();
    } catch (err) {
      deps.logger.error({ err }, 'browser client bundle unavailable');
      throw new HttpError(503, 'The browser client is not built: run `npm run build`');
    }
    return serve(ctx, a, 'application/javascript; charset=utf-8', 300);
  });

  router.add('GET', '/', async () => {
    const prefix = deps.config.pathPrefix;
    if (!deps.config.demo || !deps.demoApp)
      return { text: landingPage(prefix), contentType: 'text/html; charset=utf-8' };
    const app = await demoApp(deps);
    const html = demoPage({
      key: app.key,
      wsPort: deps.ports?.ws ?? deps.config.ws.port,
      useTLS: deps.config.ws.tls !== undefined,
      pathPrefix: prefix,
    });
    return { text: html, contentType: 'text/html; charset=utf-8', headers: { 'Cache-Control': 'no-store' } };
  });

  router.add('GET', '/demo/style.css', (ctx) => serve(ctx, css, 'text/css; charset=utf-8', 300));
  router.add('GET', '/demo/app.js', (ctx) => serve(ctx, js, 'application/javascript; charset=utf-8', 300));

  // Triggers on a public channel of the demo app through the events route, as a signed call would.
  router.add('POST', '/demo/trigger', async (ctx) => {
    const app = await demoApp(deps);
    const body = jsonBody(ctx);
    const channel = body.channel;
    const nameError = channelNameError(channel);
    if (nameError) throw new HttpError(400, `channel: ${nameError}`);
    if (channelRules(channel as string).kind !== 'public')
      throw new HttpError(403, 'The demo triggers on public channels only');
    const path = `/apps/${encodeURIComponent(app.id)}/events`;
    const match = router.match('POST', path);
    if (!match || 'methods' in match) throw new HttpError(500, 'No events route to trigger through');
    const payload = Buffer.from(JSON.stringify({ name: body.event, channel, data: body.data ?? '' }));
    return match.route.handler({
      ...ctx,
      path,
      params: match.params,
      query: new URLSearchParams(),
      body: payload,
      app,
    });
  });

  // Signs the demo chat's presence channel for a name typed on the page, peer channels on.
  router.add('POST', '/demo/auth', async (ctx) => {
    const app = await demoApp(deps);
    const form = new URLSearchParams(ctx.body.toString('utf8'));
    const socketId = form.get('socket_id') ?? '';
    const channel = form.get('channel_name') ?? '';
    const name = form.get('name') ?? '';
    if (!SOCKET_ID.test(socketId)) throw new HttpError(400, 'socket_id must look like 123.456');
    if (channelNameError(channel) || !channel.startsWith(DEMO_CHANNEL_PREFIX)) {
      throw new HttpError(403, `The demo signs ${DEMO_CHANNEL_PREFIX}* channels only`);
    }
    if (!DEMO_NAME.test(name)) throw new HttpError(400, 'name: 1-24 letters, digits, _ . -');
    const channelData = JSON.stringify({ user_id: name, user_info: { name }, peer: true });
    return {
      body: { auth: channelAuth(app.key, app.secret, socketId, channel, channelData), channel_data: channelData },
    };
  });
};
