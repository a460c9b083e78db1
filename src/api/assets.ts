// Browser files built into dist/ by scripts/build-client.mjs (the client, the console's and the
// demo's scripts and stylesheets, the demo's service worker), served with a strong ETag (a hash of
// the content) and answered 304 when the browser's copy is current. Run from source (tsx, as the
// tests do), the server bundles a file from src in memory on its first request instead.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { HttpError } from '../protocol/errors.ts';
import type { ApiDeps } from './deps.ts';
import type { Reply, RequestContext } from './router.ts';

/** A file's text and its strong validator (a hash of the content). */
export interface Asset {
  text: string;
  etag: string;
}

/** The names scripts/build-client.mjs writes under dist/. */
export type BrowserAssetName =
  'pushi.js' | 'console/console.js' | 'console/console.css' | 'demo/demo.js' | 'demo/demo.css' | 'demo/sw.js';

export const CONTENT_TYPES = {
  js: 'application/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  html: 'text/html; charset=utf-8',
} as const;

const built = new Map<BrowserAssetName, Promise<Asset>>();
const fromSource = fileURLToPath(import.meta.url).endsWith('.ts');

/** A browser file: from dist/ when compiled; bundled from src in memory when run from source (tsx). */
export function browserAsset(name: BrowserAssetName): Promise<Asset> {
  let pending = built.get(name);
  if (!pending) {
    pending = (async () => {
      if (!fromSource) return asset(await readFile(new URL(`../${name}`, import.meta.url), 'utf8'));
      const script = new URL('../../scripts/build-client.mjs', import.meta.url).href;
      return asset(await (await import(script)).bundleAsset(name));
    })();
    pending.catch(() => built.delete(name)); // try again on the next request
    built.set(name, pending);
  }
  return pending;
}

export function asset(text: string): Asset {
  return { text, etag: `"${createHash('sha256').update(text).digest('base64url').slice(0, 27)}"` };
}

/** True when If-None-Match names the asset's ETag (a list, weak forms, or `*`). */
function notModified(ctx: RequestContext, a: Asset): boolean {
  const header = ctx.req.headers['if-none-match'];
  if (!header) return false;
  return header
    .split(',')
    .map((tag) => tag.trim().replace(/^W\//, ''))
    .some((tag) => tag === a.etag || tag === '*');
}

/** 200 with the content, or 304 without it when the browser's copy is current. */
export function serveAsset(
  ctx: RequestContext,
  a: Asset,
  contentType: string,
  cacheControl: string,
  extra: Record<string, string> = {},
): Reply {
  const headers = { ETag: a.etag, 'Cache-Control': cacheControl, 'X-Content-Type-Options': 'nosniff', ...extra };
  if (notModified(ctx, a)) return { status: 304, text: '', headers };
  return { text: a.text, contentType, headers };
}

/** serveAsset for a dist/ file; 503 naming the fix when it is not built. */
export async function serveBrowserAsset(
  ctx: RequestContext,
  deps: ApiDeps,
  name: BrowserAssetName,
  cacheControl: string,
): Promise<Reply> {
  let a: Asset;
  try {
    a = await browserAsset(name);
  } catch (err) {
    deps.logger.error({ err, asset: name }, 'browser asset unavailable');
    throw new HttpError(503, `${name} is not built: run \`npm run build\``);
  }
  return serveAsset(ctx, a, name.endsWith('.css') ? CONTENT_TYPES.css : CONTENT_TYPES.js, cacheControl);
}
