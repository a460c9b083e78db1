// Pushi's persistence routes: offline subscriptions (user_id ↔ channel) and stored-event history.
import { channelNameError } from '../../protocol/channels.ts';
import { HttpError } from '../../protocol/errors.ts';
import { parsePage, UnknownSinceError, userIdError } from '../../persistence/history.ts';
import { historyReply, type Persistence } from '../../persistence/persistence.ts';
import type { EventLog } from '../../store/event-log.ts';
import { jsonBody, type RouteRegistrar } from '../http-api.ts';
import type { RequestContext } from '../router.ts';

function subscriptionArgs(ctx: RequestContext): { userId: string; channel: string } {
  const body = jsonBody(ctx);
  const userId = body.user_id ?? ctx.query.get('user_id') ?? undefined;
  const channel = body.event ?? body.channel ?? ctx.query.get('event') ?? undefined;
  const userError = userIdError(userId);
  if (userError) throw new HttpError(400, userError);
  const nameError = channelNameError(channel);
  if (nameError) throw new HttpError(400, `event (the channel name): ${nameError}`);
  return { userId: userId as string, channel: channel as string };
}

export function persistenceRoutes(log: EventLog, persistence: Persistence): RouteRegistrar {
  return (router) => {
    const subscribe = async (ctx: RequestContext) => {
      const { userId, channel } = subscriptionArgs(ctx);
      const created = await log.addSubscription(ctx.app!.id, userId, channel);
      persistence.subscriptionAdded(ctx.app!, userId, channel);
      return { body: { user_id: userId, event: channel, created } };
    };
    const unsubscribe = async (ctx: RequestContext, userId: string, channel: string) => {
      const removed = await log.removeSubscription(ctx.app!.id, userId, channel);
      persistence.subscriptionRemoved(ctx.app!, userId, channel);
      return { body: { user_id: userId, event: channel, removed } };
    };

    router.add('POST', '/apps/:appId/subscribe', subscribe, { signed: true });
    router.add('POST', '/apps/:appId/subscriptions', subscribe, { signed: true });
    router.add(
      'POST',
      '/apps/:appId/unsubscribe',
      (ctx) => {
        const { userId, channel } = subscriptionArgs(ctx);
        return unsubscribe(ctx, userId, channel);
      },
      { signed: true },
    );
    router.add(
      'DELETE',
      '/apps/:appId/subscriptions/:userId/:event',
      (ctx) => {
        const { userId, event } = ctx.params;
        const err = userIdError(userId) ?? channelNameError(event);
        if (err) throw new HttpError(400, err);
        return unsubscribe(ctx, userId, event);
      },
      { signed: true },
    );
    router.add(
      'GET',
      '/apps/:appId/subscriptions',
      async (ctx) => {
        const userId = ctx.query.get('user_id') ?? undefined;
        const channel = ctx.query.get('event') ?? ctx.query.get('channel') ?? undefined;
        if (userId !== undefined && userIdError(userId)) throw new HttpError(400, userIdError(userId)!);
        if (channel !== undefined && channelNameError(channel)) throw new HttpError(400, channelNameError(channel)!);
        if (userId === undefined && channel === undefined)
          throw new HttpError(400, 'give user_id or event (a channel name)');
        const subs = await log.listSubscriptions(ctx.app!.id, { userId, channel });
        return {
          body: { subscriptions: subs.map((s) => ({ user_id: s.userId, event: s.channel, created_at: s.createdAt })) },
        };
      },
      { signed: true },
    );
    router.add(
      'GET',
      '/apps/:appId/channels/:channel/events',
      async (ctx) => {
        const name = ctx.params.channel;
        const err = channelNameError(name);
        if (err) throw new HttpError(400, err);
        const q = (k: string) => ctx.query.get(k) ?? undefined;
        const page = parsePage(q('skip'), q('count'), q('since'));
        if (typeof page === 'string') throw new HttpError(400, page);
        const events = await persistence.history(ctx.app!.id, name, page).catch((err) => {
          throw err instanceof UnknownSinceError ? new HttpError(404, err.message) : err;
        });
        return { body: historyReply(name, page, events) };
      },
      { signed: true },
    );
  };
}
