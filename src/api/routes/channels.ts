// Channel queries and terminating a user's connections (Pusher REST API).
import { channelNameError, channelRules } from '../../protocol/channels.ts';
import { HttpError } from '../../protocol/errors.ts';
import type { RouteRegistrar } from '../http-api.ts';

function infoAttrs(raw: string | null, allowed: string[]): string[] {
  const list = raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  for (const a of list) if (!allowed.includes(a)) throw new HttpError(400, `unknown info attribute "${a}"`);
  return list;
}

function checkName(name: string): void {
  const err = channelNameError(name);
  if (err) throw new HttpError(400, `${err}: ${JSON.stringify(name)}`);
}

export const channelRoutes: RouteRegistrar = (router, deps) => {
  router.add(
    'GET',
    '/apps/:appId/channels',
    async (ctx) => {
      const prefix = ctx.query.get('filter_by_prefix') ?? '';
      const info = infoAttrs(ctx.query.get('info'), ['user_count', 'subscription_count']);
      if (info.includes('user_count') && !prefix.startsWith('presence-')) {
        throw new HttpError(400, 'info=user_count needs filter_by_prefix=presence-');
      }
      const channels: Record<string, Record<string, number>> = {};
      for (const ch of await deps.queries.channels(ctx.app!.id, prefix)) {
        const attrs: Record<string, number> = {};
        if (info.includes('user_count')) attrs.user_count = ch.userCount ?? 0;
        if (info.includes('subscription_count')) attrs.subscription_count = ch.subscriptionCount;
        channels[ch.name] = attrs;
      }
      return { body: { channels } };
    },
    { signed: true },
  );

  router.add(
    'GET',
    '/apps/:appId/channels/:channel',
    async (ctx) => {
      const name = ctx.params.channel;
      checkName(name);
      const info = infoAttrs(ctx.query.get('info'), ['user_count', 'subscription_count', 'cache']);
      const presence = channelRules(name).kind === 'presence';
      if (info.includes('user_count') && !presence)
        throw new HttpError(400, 'user_count is only available for presence channels');
      const summary = await deps.queries.channel(ctx.app!.id, name);
      const body: Record<string, unknown> = { occupied: !!summary };
      if (info.includes('user_count')) body.user_count = summary?.userCount ?? 0;
      if (info.includes('subscription_count')) body.subscription_count = summary?.subscriptionCount ?? 0;
      if (info.includes('cache')) {
        const cached = deps.hub.states.get(ctx.app!.id)?.cached(name, Date.now());
        if (cached)
          body.cache = {
            event: cached.event,
            data: cached.data,
            ttl: Math.ceil((cached.expiresAt - Date.now()) / 1000),
          };
      }
      return { body };
    },
    { signed: true },
  );

  router.add(
    'GET',
    '/apps/:appId/channels/:channel/users',
    async (ctx) => {
      const name = ctx.params.channel;
      checkName(name);
      if (channelRules(name).kind !== 'presence')
        throw new HttpError(400, 'Users can only be listed for presence channels');
      const users = await deps.queries.users(ctx.app!.id, name);
      return { body: { users: users.map((id) => ({ id })) } };
    },
    { signed: true },
  );

  router.add(
    'POST',
    '/apps/:appId/users/:userId/terminate_connections',
    async (ctx) => {
      deps.hub.terminateUser(ctx.app!.id, ctx.params.userId);
      return { body: {} };
    },
    { signed: true },
  );
};
