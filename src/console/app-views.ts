// The console manages apps through the admin API (/apps) under its own paths, so that what reaches
// the browser can be trimmed: notification secrets are write-only there. Their values never leave
// the server; the console sees only whether each is set, and sends one only to change it.
import type { Handler, RequestContext, Router } from '../api/router.ts';
import { HttpError } from '../protocol/errors.ts';

/** App options that hold credentials: a private key, an APNs .p8 key, an SMTP URL with its password. */
export const SECRET_OPTIONS = ['vapidPrivateKey', 'apnsKey', 'smtpUrl'] as const;

type AppView = { options?: Record<string, unknown> } & Record<string, unknown>;

const CONSOLE_API = '/console/api';

/** The view without secret option values; `secrets_set` says which of them hold something. */
export function withoutSecrets(view: AppView): AppView {
  if (!view.options) return view;
  const options = { ...view.options };
  const set: Record<string, boolean> = {};
  for (const key of SECRET_OPTIONS) {
    set[key] = typeof options[key] === 'string' && options[key] !== '';
    delete options[key];
  }
  return { ...view, options, secrets_set: set };
}

/** A reply body holding one app view or a list of them (`{apps}`), trimmed. */
function trimmed(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const b = body as AppView & { apps?: AppView[] };
  if (Array.isArray(b.apps)) return { ...b, apps: b.apps.map(withoutSecrets) };
  return withoutSecrets(b);
}

/**
 * A handler answering `/console/api` + path with the admin route at that path (after `guard`),
 * its body trimmed of secrets and, for lists, each app given `extra` fields.
 */
export function adminThroughConsole(
  router: Router,
  guard: (ctx: RequestContext) => void,
  extra: (appId: string) => Record<string, unknown> = () => ({}),
): Handler {
  return async (ctx) => {
    guard(ctx);
    const path = ctx.path.slice(CONSOLE_API.length);
    const match = router.match(ctx.method, path);
    if (!match || 'methods' in match || !match.route.options.admin)
      throw new HttpError(404, `No admin route for ${ctx.method} ${path}`);
    const reply = await match.route.handler({ ...ctx, path, params: match.params, query: ctx.query });
    let body = trimmed(reply.body) as AppView & { apps?: AppView[] };
    if (body && Array.isArray(body.apps))
      body = { ...body, apps: body.apps.map((a) => ({ ...a, ...extra(a.id as string) })) };
    return { ...reply, body };
  };
}
