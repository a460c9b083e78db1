// POST /apps/:appId/events and /batch_events: the Pusher trigger API.
import type { App } from '../../apps/app.ts';
import { channelNameError, channelRules } from '../../protocol/channels.ts';
import { HttpError } from '../../protocol/errors.ts';
import { publishTrigger, type Trigger } from '../../hub/publisher.ts';
import { notifyExtras } from '../../notify/targets/targets.ts';
import type { ApiDeps } from '../deps.ts';
import { jsonBody, type RouteRegistrar } from '../http-api.ts';
import type { Reply, RequestContext } from '../router.ts';

const SOCKET_ID = /^\d+\.\d+$/;

export interface ParsedTrigger extends Trigger {
  info: string[];
  /** Per-trigger persistence override (Pushi). */
  persist?: boolean;
  /** Payloads for notification targets (Pushi): web_push, apn, push, subject, body, html. */
  notify?: Record<string, unknown>;
}

/** Validates one trigger body ({name, data, channel|channels, socket_id?, info?}) against the app's limits. */
export function parseTrigger(app: App, body: Record<string, unknown>, where = ''): ParsedTrigger {
  const bad = (m: string) => new HttpError(400, where + m);
  const { name, socket_id: socketId, info } = body;
  if (typeof name !== 'string' || name.length === 0) throw bad('"name" (the event name) must be a non-empty string');
  if (name.length > 200) throw bad('"name" longer than 200 characters');
  if (body.data === undefined) throw bad('"data" is required');
  const data = typeof body.data === 'string' ? body.data : JSON.stringify(body.data);
  const size = Buffer.byteLength(data);
  if (size > app.options.maxEventBytes) {
    throw new HttpError(413, `${where}"data" is ${size} bytes; the limit is ${app.options.maxEventBytes}`);
  }
  let channels: unknown = body.channels ?? (body.channel !== undefined ? [body.channel] : undefined);
  if (!Array.isArray(channels) || channels.length === 0) throw bad('"channels" (an array) or "channel" is required');
  if (channels.length > app.options.maxChannelsPerTrigger) {
    throw bad(`more than ${app.options.maxChannelsPerTrigger} channels in one trigger`);
  }
  for (const ch of channels) {
    const err = channelNameError(ch);
    if (err) throw bad(`${err}: ${JSON.stringify(ch)}`);
  }
  if (channels.length > 1) channels = [...new Set(channels as string[])];
  if (
    (channels as string[]).length > 1 &&
    (channels as string[]).some((c) => channelRules(c).kind === 'private-encrypted')
  ) {
    throw bad('an encrypted channel cannot be triggered together with other channels');
  }
  if (socketId !== undefined && (typeof socketId !== 'string' || !SOCKET_ID.test(socketId))) {
    throw bad('"socket_id" must look like 123.456');
  }
  if (info !== undefined && typeof info !== 'string') throw bad('"info" must be a comma-separated string');
  const infoList = info
    ? info
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  for (const attr of infoList) {
    if (attr !== 'user_count' && attr !== 'subscription_count') throw bad(`unknown info attribute "${attr}"`);
  }
  if (body.persist !== undefined && typeof body.persist !== 'boolean') throw bad('"persist" must be a boolean');
  const notify = notifyExtras(body);
  if (typeof notify === 'string') throw bad(notify);
  return {
    event: name,
    channels: channels as string[],
    data,
    socketId,
    info: infoList,
    persist: body.persist as boolean | undefined,
    ...(notify ? { notify } : {}),
  };
}

/** Publishes a parsed trigger; persistence (when configured) stores it first (then a promise). */
export type TriggerPublisher = (app: App, t: ParsedTrigger) => Promise<void> | void;

async function channelInfo(deps: ApiDeps, app: App, t: ParsedTrigger): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const name of t.channels) {
    const summary = await deps.queries.channel(app.id, name);
    const attrs: Record<string, number> = {};
    if (t.info.includes('subscription_count')) attrs.subscription_count = summary?.subscriptionCount ?? 0;
    if (t.info.includes('user_count') && channelRules(name).kind === 'presence')
      attrs.user_count = summary?.userCount ?? 0;
    out[name] = attrs;
  }
  return out;
}

/** The trigger's answer once it is published (stored first, when persisted), with the info asked for. */
async function triggerReply(
  deps: ApiDeps,
  app: App,
  t: ParsedTrigger,
  publishing: Promise<void> | void,
): Promise<Reply> {
  await publishing;
  return { body: t.info.length ? { channels: await channelInfo(deps, app, t) } : {} };
}

export function eventRoutes(publish?: TriggerPublisher): RouteRegistrar {
  return (router, deps) => {
    const doPublish: TriggerPublisher = publish ?? ((app, t) => publishTrigger(deps.hub, app, t));

    router.add(
      'POST',
      '/apps/:appId/events',
      (ctx: RequestContext) => {
        const app = ctx.app!;
        const t = parseTrigger(app, jsonBody(ctx));
        const publishing = doPublish(app, t);
        // Synchronous when nothing is stored and no info asked for: no promise per request.
        return publishing || t.info.length ? triggerReply(deps, app, t, publishing) : { body: {} };
      },
      { signed: true },
    );

    router.add(
      'POST',
      '/apps/:appId/batch_events',
      async (ctx: RequestContext) => {
        const app = ctx.app!;
        const batch = jsonBody(ctx).batch;
        if (!Array.isArray(batch) || batch.length === 0) throw new HttpError(400, '"batch" must be a non-empty array');
        if (batch.length > app.options.maxBatchEvents)
          throw new HttpError(400, `more than ${app.options.maxBatchEvents} events in one batch`);
        const triggers = batch.map((item, i) => {
          if (!item || typeof item !== 'object') throw new HttpError(400, `batch[${i}]: must be an object`);
          return parseTrigger(app, item as Record<string, unknown>, `batch[${i}]: `);
        });
        for (const t of triggers) await doPublish(app, t);
        if (!triggers.some((t) => t.info.length)) return { body: {} };
        const out = [];
        for (const t of triggers) out.push(t.info.length ? (await channelInfo(deps, app, t))[t.channels[0]] : {});
        return { body: { batch: out } };
      },
      { signed: true },
    );
  };
}
