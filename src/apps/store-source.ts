// Apps from the store, cached in memory. The CLI may change apps while the server runs, so cached
// entries expire after a short time and are re-read (changes reach open sockets through onChange);
// the HTTP admin routes invalidate at once.
import type { AppRecord, AppsReads } from '../store/apps-store.ts';
import { type App, type AppSource, resolveOptions } from './app.ts';
import { type Credentials, newCredentials } from './credentials.ts';

export const APP_CACHE_TTL_MS = 2000;
/** A stalled store: cached apps keep serving this long past their lifetime. */
const MAX_STALE_MS = 5 * 60_000;
/** A re-read slower than this is not waited for when a cached copy exists. */
const GRACE_MS = 50;

interface Entry {
  app: App | undefined;
  at: number;
}

export function toApp(rec: AppRecord): App {
  return {
    id: rec.id,
    key: rec.key,
    secret: rec.secret,
    name: rec.name,
    enabled: rec.enabled,
    options: resolveOptions(rec.options),
  };
}

/** A new app: the given credentials (checked by the caller), random ones for the rest. */
export function newAppRecord(
  name: string,
  options: Record<string, unknown> = {},
  given: Partial<Credentials> = {},
): AppRecord {
  return {
    ...newCredentials(given),
    name,
    enabled: true,
    options,
    createdAt: Date.now(),
  };
}

export interface StoreAppSourceOptions {
  /** How long a cached app is used without asking the store (ms). */
  ttlMs?: number;
  /** How old a cached app may get while the store does not answer (ms). */
  maxStaleMs?: number;
  /** How long a lookup waits for the store before answering from a stale entry (ms). */
  graceMs?: number;
  /** A re-read found the app changed or gone (a CLI edit, another node's admin API). */
  onChange?: (id: string, app: App | undefined) => void;
}

export class StoreAppSource implements AppSource {
  private readonly byId = new Map<string, Entry>();
  private readonly byKey = new Map<string, Entry>();
  /** Re-reads in flight, by cache key: one per app however many lookups ask. */
  private readonly loading = new Map<string, Promise<App | undefined>>();
  private readonly ttlMs: number;
  private readonly maxStaleMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly store: AppsReads,
    private readonly options: StoreAppSourceOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? APP_CACHE_TTL_MS;
    this.maxStaleMs = options.maxStaleMs ?? MAX_STALE_MS;
    this.graceMs = options.graceMs ?? GRACE_MS;
  }

  findById(id: string): Promise<App | undefined> {
    return this.lookup(this.byId, id, () => this.store.get(id));
  }

  findByKey(key: string): Promise<App | undefined> {
    return this.lookup(this.byKey, key, () => this.store.getByKey(key));
  }

  peekById(id: string): App | undefined {
    return this.peek(this.byId, id);
  }

  peekByKey(key: string): App | undefined {
    return this.peek(this.byKey, key);
  }

  /** Re-reads a cached app now (apps with open sockets, once per lifetime: changes reach them within it). */
  refresh(id: string): void {
    const hit = this.byId.get(id);
    if (hit) void this.load(this.byId, id, () => this.store.get(id), hit);
  }

  private peek(map: Map<string, Entry>, k: string): App | undefined {
    const hit = map.get(k);
    return hit && Date.now() - hit.at < this.ttlMs ? hit.app : undefined;
  }

  /** Forget cached copies (after an update through the API). */
  invalidate(app?: { id: string; key: string }): void {
    if (!app) {
      this.byId.clear();
      this.byKey.clear();
      return;
    }
    this.byId.delete(app.id);
    this.byKey.delete(app.key);
  }

  private async lookup(
    map: Map<string, Entry>,
    k: string,
    read: () => Promise<AppRecord | undefined>,
  ): Promise<App | undefined> {
    const hit = map.get(k);
    const age = hit ? Date.now() - hit.at : Infinity;
    if (hit && age < this.ttlMs) return hit.app;
    const loading = this.load(map, k, read, hit);
    // A known app whose store does not answer promptly is served as last seen (for a bounded
    // time): connections and triggers do not wait on a stalled store. The read carries on.
    if (!hit?.app || age >= this.maxStaleMs) return loading;
    let timer: NodeJS.Timeout | undefined;
    const stale = new Promise<App | undefined>((resolve) => (timer = setTimeout(() => resolve(hit.app), this.graceMs)));
    return Promise.race([loading.catch(() => hit.app), stale]).finally(() => clearTimeout(timer));
  }

  private load(
    map: Map<string, Entry>,
    k: string,
    read: () => Promise<AppRecord | undefined>,
    hit: Entry | undefined,
  ): Promise<App | undefined> {
    const key = (map === this.byId ? 'id:' : 'key:') + k;
    let loading = this.loading.get(key);
    if (!loading) {
      loading = read()
        .then((rec) => this.remember(map, k, rec ? toApp(rec) : undefined, hit))
        .finally(() => this.loading.delete(key));
      loading.catch(() => undefined); // a background re-read's failure is the caller's to see, or no one's
      this.loading.set(key, loading);
    }
    return loading;
  }

  private remember(map: Map<string, Entry>, k: string, fresh: App | undefined, hit: Entry | undefined) {
    const now = Date.now();
    const before = hit?.app;
    // Keep the same object while unchanged so per-app state is not churned.
    const same = fresh && before && JSON.stringify(before) === JSON.stringify(fresh);
    const app = same ? before : fresh;
    if (map.size > 10_000) map.clear(); // unknown keys are attacker-chosen: bound the cache
    map.set(k, { app, at: now });
    if (app) {
      this.byId.set(app.id, { app, at: now });
      this.byKey.set(app.key, { app, at: now });
    }
    if (before && !same) {
      if (!app) this.byId.delete(before.id);
      if (app?.key !== before.key) this.byKey.delete(before.key);
      this.options.onChange?.(before.id, app?.id === before.id ? app : undefined);
    }
    return app;
  }
}
