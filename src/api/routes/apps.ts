// App management over HTTP, behind the admin token (off when PUSHI_ADMIN_TOKEN is unset).
import { resolveOptions } from '../../apps/app.ts';
import { AppOptionError, checkAppOptions } from '../../apps/check-options.ts';
import { AppConflictError, AppInputError, appFromInput, createApp } from '../../apps/create-app.ts';
import { unknownName } from '../../apps/nearest-name.ts';
import { applyToOpenConnections } from '../../apps/open-connections.ts';
import { toApp, type StoreAppSource } from '../../apps/store-source.ts';
import { HttpError } from '../../protocol/errors.ts';
import { randomHex } from '../../protocol/ids.ts';
import type { AppRecord, AppsStore } from '../../store/apps-store.ts';
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

/** Input errors are the client's (400, naming the field); clashes are 409; anything else stays a 500. */
function asHttpError(err: unknown): unknown {
  if (err instanceof AppInputError || err instanceof AppOptionError) return new HttpError(400, err.message);
  if (err instanceof AppConflictError) return new HttpError(409, err.message);
  return err;
}

const PATCH_FIELDS = ['name', 'enabled', 'options'];

/** A PATCH names only fields it may change; credentials are set at creation (the secret is rotated). */
function checkPatchFields(body: Record<string, unknown>): void {
  for (const field of Object.keys(body)) {
    if (PATCH_FIELDS.includes(field)) continue;
    if (field === 'id' || field === 'key' || field === 'secret')
      throw new HttpError(
        400,
        `"${field}" is fixed when the app is created (POST /apps/{id}/rotate_secret renews the secret)`,
      );
    throw new HttpError(400, unknownName('app field', field, PATCH_FIELDS));
  }
}

export function appRoutes(store: AppsStore, source: StoreAppSource): RouteRegistrar {
  return (router, deps) => {
    const admin = { admin: true };
    const find = async (id: string) => {
      const app = await store.get(id);
      if (!app) throw new HttpError(404, `Unknown app ${id}`);
      return app;
    };

    router.add('GET', '/apps', async () => ({ body: { apps: (await store.list()).map(view) } }), admin);

    router.add(
      'POST',
      '/apps',
      async (ctx) => {
        try {
          const rec = await createApp(store, appFromInput(jsonBody(ctx)));
          return { status: 201, body: view(rec) };
        } catch (err) {
          throw asHttpError(err);
        }
      },
      admin,
    );

    router.add('GET', '/apps/:appId', async (ctx) => ({ body: view(await find(ctx.params.appId)) }), admin);

    const update = async (ctx: Parameters<Parameters<typeof router.add>[2]>[0]) => {
      const before = await find(ctx.params.appId);
      const body = jsonBody(ctx);
      checkPatchFields(body);
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
      if (body.options !== undefined) {
        let options: Record<string, unknown>;
        try {
          options = checkAppOptions(body.options);
        } catch (err) {
          throw asHttpError(err);
        }
        patch.options = { ...before.options, ...options };
      }
      const after = await store.update(before.id, patch);
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
        const after = await store.update(before.id, { secret: randomHex(20) });
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
        await store.delete(before.id);
        source.invalidate(before);
        applyToOpenConnections(deps.hub, before.id, undefined);
        return { body: { deleted: before.id } };
      },
      admin,
    );
  };
}
