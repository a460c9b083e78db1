// App management over HTTP, behind the admin token (off when PUSHI_ADMIN_TOKEN is unset).
import { resolveOptions } from '../../apps/app.ts';
import { newAppRecord, toApp, type StoreAppSource } from '../../apps/store-source.ts';
import { applyToOpenConnections } from '../../apps/open-connections.ts';
import { HttpError } from '../../protocol/errors.ts';
import { randomHex } from '../../protocol/ids.ts';
import type { AppRecord, Store } from '../../store/store.ts';
import { jsonBody, type RouteRegistrar } from '../http-api.ts';

const view = (a: AppRecord) => ({
  id: a.id,
  key: a.key,
  secret: a.secret,
  name: a.name,
  enabled: a.enabled,
  options: resolveOptions(a.options),
  created_at: a.createdAt,
});

function checkOptions(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (!options || typeof options !== 'object' || Array.isArray(options))
    throw new HttpError(400, '"options" must be an object');
  try {
    resolveOptions(options as Record<string, unknown>);
  } catch (err) {
    throw new HttpError(400, (err as Error).message);
  }
  return options as Record<string, unknown>;
}

export function appRoutes(store: Store, source: StoreAppSource): RouteRegistrar {
  return (router, deps) => {
    const admin = { admin: true };
    const find = async (id: string) => {
      const app = await store.getApp(id);
      if (!app) throw new HttpError(404, `Unknown app ${id}`);
      return app;
    };

    router.add('GET', '/apps', async () => ({ body: { apps: (await store.listApps()).map(view) } }), admin);

    router.add(
      'POST',
      '/apps',
      async (ctx) => {
        const body = jsonBody(ctx);
        if (typeof body.name !== 'string' || !body.name.trim())
          throw new HttpError(400, '"name" must be a non-empty string');
        const rec = newAppRecord(body.name.trim(), checkOptions(body.options));
        await store.createApp(rec);
        return { status: 201, body: view(rec) };
      },
      admin,
    );

    router.add('GET', '/apps/:appId', async (ctx) => ({ body: view(await find(ctx.params.appId)) }), admin);

    const update = async (ctx: Parameters<Parameters<typeof router.add>[2]>[0]) => {
      const before = await find(ctx.params.appId);
      const body = jsonBody(ctx);
      const patch: Partial<AppRecord> = {};
      if (body.name !== undefined) {
        if (typeof body.name !== 'string' || !body.name.trim())
          throw new HttpError(400, '"name" must be a non-empty string');
        patch.name = body.name.trim();
      }
      if (body.enabled !== undefined) {
        if (typeof body.enabled !== 'boolean') throw new HttpError(400, '"enabled" must be a boolean');
        patch.enabled = body.enabled;
      }
      if (body.options !== undefined) patch.options = { ...before.options, ...checkOptions(body.options) };
      const after = await store.updateApp(before.id, patch);
      source.invalidate(before);
      applyToOpenConnections(deps.hub, before.id, after && toApp(after));
      return { body: view(after!) };
    };
    router.add('PATCH', '/apps/:appId', update, admin);
    router.add('PUT', '/apps/:appId', update, admin);

    router.add(
      'POST',
      '/apps/:appId/rotate_secret',
      async (ctx) => {
        const before = await find(ctx.params.appId);
        const after = await store.updateApp(before.id, { secret: randomHex(20) });
        source.invalidate(before);
        applyToOpenConnections(deps.hub, before.id, after && toApp(after));
        return { body: view(after!) };
      },
      admin,
    );

    router.add(
      'DELETE',
      '/apps/:appId',
      async (ctx) => {
        const before = await find(ctx.params.appId);
        await store.deleteApp(before.id);
        source.invalidate(before);
        applyToOpenConnections(deps.hub, before.id, undefined);
        return { body: { deleted: before.id } };
      },
      admin,
    );
  };
}
