// The apps role: who may connect and publish (apps/store-source.ts, the admin API, the CLI).

export interface AppRecord {
  id: string;
  key: string;
  secret: string;
  name: string;
  enabled: boolean;
  /** Partial AppOptions (apps/app.ts); missing keys take the defaults. */
  options: Record<string, unknown>;
  createdAt: number; // ms since epoch
}

export type AppPatch = Partial<Omit<AppRecord, 'id' | 'createdAt'>>;

export interface AppsReads {
  list(): Promise<AppRecord[]>;
  get(id: string): Promise<AppRecord | undefined>;
  getByKey(key: string): Promise<AppRecord | undefined>;
}

export interface AppsWrites {
  /** Rejects with StoreConflictError when the id or key exists. */
  create(app: AppRecord): Promise<void>;
  /** Updates the given fields (not id, not createdAt); returns the new record, or undefined if none. */
  update(id: string, patch: AppPatch): Promise<AppRecord | undefined>;
  /** Deletes the app and everything stored for it (events, subscriptions, targets, queued items). */
  delete(id: string): Promise<boolean>;
}

export type AppsStore = AppsReads & AppsWrites;
