// GET /pushi.js (the browser client), GET / (the demo page), the demo's script and stylesheet, and
// the demo's trigger and auth routes. The demo routes act with the demo app's secret, so they
// answer only in demo mode (PUSHI_DEMO).
import type { App } from '../../apps/app.ts';
import { demoPage, landingPage } from '../../demo/page.ts';
import { channelNameError, channelRules } from '../../protocol/channels.ts';
import { HttpError } from '../../protocol/errors.ts';
import { channelAuth } from '../../protocol/signatures.ts';
import { serveBrowserAsset } from '../assets.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody, type RouteRegistrar } from '../http-api.ts';

const DEMO_CHANNEL_PREFIX = 'presence-demo';
const DEMO_NAME = /^[A-Za-z0-9_.-]{1,24}$/;
const SOCKET_ID = /^\d+\.\d+$/;

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
  // Pages elsewhere load /pushi.js by a fixed URL: cached a while. The demo's files are checked each time.
  router.add('GET', '/pushi.js', (ctx) => serveBrowserAsset(ctx, deps, 'pushi.js', 'public, max-age=300'));

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

  router.add('GET', '/demo/style.css', (ctx) => serveBrowserAsset(ctx, deps, 'demo/demo.css', 'no-cache'));
  router.add('GET', '/demo/app.js', (ctx) => serveBrowserAsset(ctx, deps, 'demo/demo.js', 'no-cache'));

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
