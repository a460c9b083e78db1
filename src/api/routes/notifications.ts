// Notification targets over the signed API (docs/notifications.md):
//   POST   /apps/:appId/targets     {channel, kind, target, channel_auth?}  register (idempotent)
//   GET    /apps/:appId/targets     ?channel=&kind=&address=                 list by channel and/or target
//   DELETE /apps/:appId/targets     ?channel=&kind=&address=                 remove by channel and/or target
//   POST   /apps/:appId/messaging   {targets:[{kind,target}], data, …}      direct messaging, a result per target
//   GET    /apps/:appId/vapid_key                                            the Web Push public key
//                                                                            (made on first request)
//   GET    /vapid_key/:appKey       (public, for browsers: they know the key)  the same
// plus the demo page's push routes (demo mode only).
import type { App } from '../../apps/app.ts';
import type { StoreAppSource } from '../../apps/store-source.ts';
import type { Notifier } from '../../notify/targets/notifier.ts';
import {
  channelAuthError,
  notifyExtras,
  type NotifyMessage,
  parseTarget,
  TargetError,
  type ParsedTarget,
} from '../../notify/targets/targets.ts';
import { newVapidKeys } from '../../notify/targets/web-push.ts';
import { channelNameError, channelRules } from '../../protocol/channels.ts';
import { HttpError } from '../../protocol/errors.ts';
import type { AppsStore } from '../../store/apps-store.ts';
import type { Stores } from '../../store/stores.ts';
import type { NotifyTarget, TargetFilter } from '../../store/targets-store.ts';
import { serveBrowserAsset } from '../assets.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody, type RouteRegistrar } from '../http-api.ts';
import type { RequestContext } from '../router.ts';

const MAX_DIRECT_TARGETS = 100;
const DEMO_CHANNEL = 'demo';
const MAX_DEMO_TARGETS = 100;

const view = (t: NotifyTarget) => ({
  channel: t.channel,
  kind: t.kind,
  address: t.address,
  target: t.target,
  created_at: t.createdAt,
});

function target(kind: unknown, raw: unknown, where = ''): ParsedTarget {
  try {
    return parseTarget(kind, raw);
  } catch (err) {
    if (err instanceof TargetError) throw new HttpError(400, where + err.message);
    throw err;
  }
}

function channelOf(v: unknown): string {
  const err = channelNameError(v);
  if (err) throw new HttpError(400, `channel: ${err}`);
  return v as string;
}

/** channel, kind, address from the query; at least a channel or an address. */
function filterOf(ctx: RequestContext): TargetFilter {
  const f: TargetFilter = {};
  const channel = ctx.query.get('channel');
  const kind = ctx.query.get('kind');
  const address = ctx.query.get('address');
  if (channel !== null) f.channel = channelOf(channel);
  if (kind !== null) f.kind = kind;
  if (address !== null) {
    if (kind === null) throw new HttpError(400, 'address needs kind (web_push, apns, email, webhook)');
    f.address = kind === 'apns' ? address.toLowerCase() : address.trim();
  }
  if (f.channel === undefined && f.address === undefined)
    throw new HttpError(400, 'give channel, or kind and address, or both');
  return f;
}

/** The app's VAPID public key; a pair is made and stored on first use. */
async function vapidPublicKey(store: AppsStore, source: StoreAppSource, app: App): Promise<string> {
  if (app.options.vapidPublicKey) return app.options.vapidPublicKey;
  const rec = await store.get(app.id);
  if (!rec) throw new HttpError(404, `Unknown app ${app.id}`);
  const have = rec.options.vapidPublicKey;
  if (typeof have === 'string' && have) return have; // made meanwhile (cached app was stale)
  // Two nodes making one at the same moment: the later write wins (see docs/notifications.md).
  const after = await store.update(app.id, { options: { ...rec.options, ...newVapidKeys() } });
  source.invalidate(app);
  return String(after?.options.vapidPublicKey ?? '');
}

export function notificationRoutes(
  store: Pick<Stores, 'apps' | 'targets'>,
  source: StoreAppSource,
  notifier: Notifier,
): RouteRegistrar {
  const register = async (app: App, channel: string, t: ParsedTarget) => {
    const created = await store.targets.add({
      appId: app.id,
      channel,
      kind: t.kind,
      address: t.address,
      target: t.target,
      createdAt: Date.now(),
    });
    notifier.fanout.targetAdded(app.id);
    return created;
  };

  return (router, deps) => {
    router.add(
      'POST',
      '/apps/:appId/targets',
      async (ctx) => {
        const app = ctx.app!;
        const body = jsonBody(ctx);
        const channel = channelOf(body.channel);
        const t = target(body.kind, body.target);
        const authError = channelAuthError(app, channel, t.address, body.channel_auth);
        if (authError) throw new HttpError(403, authError);
        const created = await register(app, channel, t);
        return { status: created ? 201 : 200, body: { channel, kind: t.kind, address: t.address, created } };
      },
      { signed: true },
    );
    router.add(
      'GET',
      '/apps/:appId/targets',
      async (ctx) => ({ body: { targets: (await store.targets.list(ctx.app!.id, filterOf(ctx))).map(view) } }),
      { signed: true },
    );
    router.add(
      'DELETE',
      '/apps/:appId/targets',
      async (ctx) => {
        const removed = await store.targets.remove(ctx.app!.id, filterOf(ctx));
        return { body: { removed: removed.length, targets: removed.map(view) } };
      },
      { signed: true },
    );

    router.add(
      'POST',
      '/apps/:appId/messaging',
      async (ctx) => {
        const body = jsonBody(ctx);
        const list = body.targets;
        if (!Array.isArray(list) || list.length === 0)
          throw new HttpError(400, '"targets" must be a non-empty array of {kind, target}');
        if (list.length > MAX_DIRECT_TARGETS)
          throw new HttpError(400, `more than ${MAX_DIRECT_TARGETS} targets in one message`);
        const targets = list.map((x, i) => {
          const item = (x && typeof x === 'object' ? x : {}) as Record<string, unknown>;
          return target(item.kind, item.target, `targets[${i}]: `);
        });
        if (body.data === undefined) throw new HttpError(400, '"data" is required');
        const data = typeof body.data === 'string' ? body.data : JSON.stringify(body.data);
        if (Buffer.byteLength(data) > ctx.app!.options.maxEventBytes)
          throw new HttpError(413, `"data" is over ${ctx.app!.options.maxEventBytes} bytes`);
        const extras = notifyExtras(body);
        if (typeof extras === 'string') throw new HttpError(400, extras);
        const channel = body.channel === undefined ? '' : channelOf(body.channel);
        const event = typeof body.event === 'string' && body.event ? body.event : 'message';
        const message: NotifyMessage = { channel, event, data, ...extras };
        return { body: { results: await notifier.direct(ctx.app!, message, targets) } };
      },
      { signed: true },
    );

    router.add(
      'GET',
      '/apps/:appId/vapid_key',
      async (ctx) => ({ body: { vapid_public_key: await vapidPublicKey(store.apps, source, ctx.app!) } }),
      { signed: true },
    );
    // Unsigned, by app key: a VAPID public key is meant for browsers (applicationServerKey).
    router.add('GET', '/vapid_key/:appKey', async (ctx) => {
      const app = await deps.apps.findByKey(ctx.params.appKey);
      if (!app) throw new HttpError(404, 'Unknown app key');
      if (!app.enabled) throw new HttpError(403, 'App is disabled');
      return { body: { vapid_public_key: await vapidPublicKey(store.apps, source, app) } };
    });

    demoPushRoutes(router, deps, store, source, register);
  };
}

/** The demo page's push: its service worker, the demo app's key, and registering on public channels. */
function demoPushRoutes(
  router: Parameters<RouteRegistrar>[0],
  deps: ApiDeps,
  store: Pick<Stores, 'apps' | 'targets'>,
  source: StoreAppSource,
  register: (app: App, channel: string, t: ParsedTarget) => Promise<boolean>,
): void {
  const demoApp = async (): Promise<App> => {
    const app = deps.config.demo && deps.demoApp ? await deps.apps.findById(deps.demoApp.id) : undefined;
    if (!app || !app.enabled) throw new HttpError(404, 'Demo mode is off (PUSHI_DEMO=0) or there is no demo app');
    return app;
  };
  router.add('GET', '/demo/sw.js', async (ctx) => {
    await demoApp();
    return serveBrowserAsset(ctx, deps, 'demo/sw.js', 'no-cache'); // browsers check workers for updates
  });
  router.add('GET', '/demo/push/vapid_key', async () => ({
    body: { vapid_public_key: await vapidPublicKey(store.apps, source, await demoApp()) },
  }));
  router.add('POST', '/demo/push/register', async (ctx) => {
    const app = await demoApp();
    const body = jsonBody(ctx);
    const channel = body.channel === undefined ? DEMO_CHANNEL : channelOf(body.channel);
    if (channelRules(channel).kind !== 'public') throw new HttpError(403, 'The demo registers on public channels only');
    const t = target('web_push', body.subscription);
    // Anyone may call this in demo mode: real push services only, and a bounded number of them.
    if (!t.address.startsWith('https://')) throw new HttpError(400, 'The demo accepts https push endpoints only');
    if ((await store.targets.list(app.id, { channel })).length >= MAX_DEMO_TARGETS)
      throw new HttpError(429, `The demo keeps at most ${MAX_DEMO_TARGETS} push targets per channel`);
    const created = await register(app, channel, t);
    return { body: { channel, created } };
  });
}
