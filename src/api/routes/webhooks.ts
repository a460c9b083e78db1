// Webhook deliveries the sender gave up on, for the app's owner (signed like the Pusher API):
//   GET  /apps/:appId/webhooks/failed?skip=&count=   → {pending, failed: [...]}, newest first
//   POST /apps/:appId/webhooks/failed/:id/retry      → queues it again (attempts reset)
import { HttpError } from '../../protocol/errors.ts';
import type { DurableQueue, NewWebhookDelivery, WebhookDelivery } from '../../store/durable-queue.ts';
import type { RouteRegistrar } from '../http-api.ts';

function render(w: WebhookDelivery) {
  let events: unknown;
  try {
    events = (JSON.parse(w.body) as { events?: unknown }).events;
  } catch {
    events = undefined;
  }
  return { id: w.id, url: w.url, attempts: w.attempts, last_error: w.lastError, created_at: w.createdAt, events };
}

function int(raw: string | null, fallback: number, max: number): number {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new HttpError(400, 'skip and count must be whole numbers');
  return Math.min(Number(raw), max);
}

export function webhookRoutes(queue: DurableQueue<NewWebhookDelivery>, onRetry?: () => void): RouteRegistrar {
  return (router) => {
    router.add(
      'GET',
      '/apps/:appId/webhooks/failed',
      async (ctx) => {
        const appId = ctx.app!.id;
        const page = {
          skip: int(ctx.query.get('skip'), 0, Number.MAX_SAFE_INTEGER),
          count: int(ctx.query.get('count'), 50, 500),
        };
        const [failed, pending] = await Promise.all([queue.listFailed(appId, page), queue.countPending(appId)]);
        return { body: { pending, failed: failed.map(render) } };
      },
      { signed: true },
    );
    router.add(
      'POST',
      '/apps/:appId/webhooks/failed/:id/retry',
      async (ctx) => {
        const id = ctx.params.id;
        if (!/^\d+$/.test(id)) throw new HttpError(400, 'delivery id must be a number');
        if (!(await queue.retry(ctx.app!.id, Number(id), Date.now())))
          throw new HttpError(404, `No failed delivery ${id}`);
        onRetry?.();
        return { body: {} };
      },
      { signed: true },
    );
  };
}
