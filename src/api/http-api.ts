// The HTTP API's request handler: bounded body, routing, auth, one place that renders errors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from '../protocol/errors.ts';
import type { App } from '../apps/app.ts';
import type { ApiDeps } from './deps.ts';
import { type Reply, type RequestContext, Router } from './router.ts';
import { parseRequestTarget, searchParams } from '../transport/request-target.ts';
import { verifySignedRequest } from './verify.ts';
import { requireAdminToken } from './admin-token.ts';
import { StoreUnavailableError } from '../store/errors.ts';

export type RouteRegistrar = (router: Router, deps: ApiDeps) => void;

export function createApiHandler(deps: ApiDeps, registrars: RouteRegistrar[]) {
  const router = new Router();
  for (const register of registrars) register(router, deps);
  const prefix = deps.config.pathPrefix;

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    let label = 'unmatched';
    let status = 500;
    try {
      const target = parseRequestTarget(req.url);
      if (!target) throw new HttpError(400, 'Malformed request URL');
      let path = target.path;
      if (prefix && (path === prefix || path.startsWith(prefix + '/'))) path = path.slice(prefix.length) || '/';
      const method = req.method ?? 'GET';
      if (method === 'OPTIONS') {
        status = 204;
        return send(res, { status: 204, text: '' }, req);
      }
      const match = router.match(method, path);
      if (!match) throw new HttpError(404, `No route for ${method} ${path}`);
      if ('methods' in match)
        throw new HttpError(405, `Method ${method} not allowed`, { Allow: match.methods.join(', ') });
      label = match.route.label;
      const body = await readBody(req, deps.config.maxBodyBytes);
      const ctx = new Context(req, res, method, path, target.search, match.params, body);
      if (match.route.options.admin) requireAdminToken(req, deps.config.adminToken, ADMIN_OFF);
      if (match.route.options.signed) {
        const checking = checkSigned(deps, ctx);
        if (checking) await checking;
      }
      const handled = match.route.handler(ctx);
      const reply = handled instanceof Promise ? await handled : handled;
      status = reply.status ?? 200;
      if (!reply.streamed) send(res, reply, req);
    } catch (err) {
      if (req.destroyed && (err as NodeJS.ErrnoException)?.code === 'ECONNRESET') {
        // The client went away mid-body (slow-loris, cancelled upload): nobody to answer, not a server error.
        status = 499;
        return;
      }
      const reply = errorReply(err, deps);
      status = reply.status!;
      if (!res.headersSent) send(res, reply, req);
      else res.destroy();
    } finally {
      deps.metrics?.httpRequest(label, req.method ?? 'GET', status, (performance.now() - started) / 1e3);
    }
  };
}

/** The context handed to routes; the query is parsed only when a route reads it. */
class Context implements RequestContext {
  app?: App;
  private parsedQuery?: URLSearchParams;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly method: string,
    readonly path: string,
    readonly search: string,
    readonly params: Record<string, string>,
    readonly body: Buffer,
  ) {}

  get query(): URLSearchParams {
    return (this.parsedQuery ??= searchParams(this.search));
  }
}

/** Sets ctx.app; a promise only when the app must be loaded or a shared rate limit consulted. */
function checkSigned(deps: ApiDeps, ctx: Context): Promise<void> | void {
  const appId = ctx.params.appId;
  const known = deps.apps.peekById?.(appId); // the usual case: no promise, no await
  if (known) return signedBy(deps, ctx, known);
  return deps.apps.findById(appId).then((app) => signedBy(deps, ctx, app));
}

function signedBy(deps: ApiDeps, ctx: Context, app: App | undefined): Promise<void> | void {
  if (!app) throw new HttpError(404, `Unknown app ${ctx.params.appId}`);
  verifySignedRequest(
    app,
    { method: ctx.method, path: ctx.path, query: ctx.search, body: ctx.body },
    deps.config.authTimestampWindow,
  );
  if (!app.enabled) throw new HttpError(403, 'App is disabled');
  ctx.app = app;
  if (deps.limitApi) return deps.limitApi(app); // after the signature: unsigned requests must not spend the allowance
}

const ADMIN_OFF = { status: 403, message: 'App management over HTTP is off: set PUSHI_ADMIN_TOKEN to turn it on' };

/** Reads the body, refusing (413) as soon as it passes the limit instead of buffering it all. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new HttpError(413, `Request body over ${limit} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `Request body over ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function errorReply(err: unknown, deps: ApiDeps): Reply {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: err.message, code: err.status }, headers: err.headers };
  }
  if (err instanceof StoreUnavailableError) {
    // The message (logged) names the database's host, port or file; the client gets the reply only.
    deps.logger.error({ err: err.message }, 'store unavailable');
    return { status: 503, body: { error: `Storage unavailable: ${err.reply}; try again later`, code: 503 } };
  }
  deps.logger.error({ err }, 'unexpected error in HTTP API');
  return { status: 500, body: { error: 'Internal server error', code: 500 } };
}

function send(res: ServerResponse, reply: Reply, req: IncomingMessage): void {
  let payload: string | Buffer;
  let type: string;
  if (reply.text !== undefined) {
    payload = reply.text;
    type = reply.contentType ?? 'text/plain; charset=utf-8';
  } else {
    payload = reply.body === undefined ? '{}' : JSON.stringify(reply.body);
    type = 'application/json';
  }
  // One flat list: cheaper for node:http than an object it has to walk. CORS headers only for
  // browsers (they send Origin); server SDKs, the bulk of the traffic, do not need them.
  const headers = ['Content-Type', type, 'Content-Length', String(Buffer.byteLength(payload))];
  if (req.headers.origin !== undefined) headers.push(...CORS_HEADERS);
  if (reply.headers) for (const name in reply.headers) headers.push(name, reply.headers[name]);
  res.writeHead(reply.status ?? 200, headers);
  res.end(req.method === 'HEAD' ? undefined : payload);
}

const CORS_HEADERS = [
  'Access-Control-Allow-Origin',
  '*',
  'Access-Control-Allow-Headers',
  'Content-Type, Authorization, X-Requested-With',
  'Access-Control-Allow-Methods',
  'GET, POST, PUT, PATCH, DELETE, OPTIONS',
];

/** Parses a JSON body or answers 400 naming the problem. */
export function jsonBody(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'Malformed JSON body');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new HttpError(400, 'Body must be a JSON object');
  return parsed as Record<string, unknown>;
}
