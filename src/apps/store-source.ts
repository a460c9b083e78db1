// Apps from the store, cached in memory. The CLI may change apps while the server runs, so cached
// entries expire after a short time; the HTTP admin routes invalidate at once.
import type { AppRecord, AppsReads } from '../store/apps-store.ts';
import { type App, type AppSource, resolveOptions } from './app.ts';
import { type Credentials, newCredentials } from './credentials.ts';

const TTL_MS = 2000;

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

export class StoreAppSource implements AppSource {
  private readonly byId = new Map<string, Entry>();
  private readonly byKey = new Map<string, Entry>();

  constructor(
    private readonly store: AppsReads,
    private readonly ttlMs = TTL_MS,
  ) {}

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
    load: () => Promise<AppRecord | undefined>,
  ): Promise<App | undefined> {
    const now = Date.now();
    const hit = map.get(k);
    if (hit && now - hit.at < this.ttlMs) return hit.app;
    let app: App | undefined;
    try {
      const rec = await load();
      app = rec ? toApp(rec) : undefined;
    } catch (err) {
      if (hit?.app) return hit.app; // store briefly down: keep serving the last known app
      throw err;
    }
    // Keep the same object while unchanged so per-app state is not churned.
    if (app && hit?.app && JSON.stringify(hit.app) === JSON.stringify(app)) app = hit.app;
    if (map.size > 10_000) map.clear(); // unknown keys are attacker-chosen: bound the cache
    map.set(k, { app, at: now });
    if (app) {
      this.byId.set(app.id, { app, at: now });
      this.byKey.set(app.key, { app, at: now });
    }
    return app;
  }
}
