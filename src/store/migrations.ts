// Versioned schema migrations shared by both stores: one entry per version, SQL text per dialect.
// Append new versions at the end; never edit one that has shipped (databases record what they ran).

export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Created before anything else; one row per applied version. */
export const MIGRATIONS_TABLE = {
  sqlite: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  applied_at INTEGER NOT NULL
)`,
  postgres: `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  applied_at bigint NOT NULL
)`,
} as const;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'apps, subscriptions, events, deliveries',
    sqlite: `
CREATE TABLE apps (
  id TEXT PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  secret TEXT NOT NULL,
  name TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  options TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL
);
CREATE TABLE subscriptions (
  app_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, user_id, channel)
);
CREATE INDEX subscriptions_app_channel ON subscriptions (app_id, channel);
CREATE TABLE events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  mid TEXT NOT NULL UNIQUE,
  app_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  event TEXT NOT NULL,
  data TEXT NOT NULL,
  socket_id TEXT,
  user_id TEXT,
  timestamp INTEGER NOT NULL
);
CREATE INDEX events_app_channel_seq ON events (app_id, channel, seq);
CREATE INDEX events_app_timestamp ON events (app_id, timestamp);
CREATE TABLE deliveries (
  app_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  seq INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
  PRIMARY KEY (app_id, user_id, seq)
);
CREATE INDEX deliveries_seq ON deliveries (seq);
`,
    postgres: `
CREATE TABLE apps (
  id text PRIMARY KEY,
  key text NOT NULL UNIQUE,
  secret text NOT NULL,
  name text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  options text NOT NULL DEFAULT '{}',
  created_at bigint NOT NULL
);
CREATE TABLE subscriptions (
  app_id text NOT NULL,
  user_id text NOT NULL,
  channel text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, user_id, channel)
);
CREATE INDEX subscriptions_app_channel ON subscriptions (app_id, channel);
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  mid text NOT NULL UNIQUE,
  app_id text NOT NULL,
  channel text NOT NULL,
  event text NOT NULL,
  data text NOT NULL,
  socket_id text,
  user_id text,
  timestamp bigint NOT NULL
);
CREATE INDEX events_app_channel_seq ON events (app_id, channel, seq);
CREATE INDEX events_app_timestamp ON events (app_id, timestamp);
CREATE TABLE deliveries (
  app_id text NOT NULL,
  user_id text NOT NULL,
  seq bigint NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
  PRIMARY KEY (app_id, user_id, seq)
);
CREATE INDEX deliveries_seq ON deliveries (seq);
`,
  },
  {
    version: 2,
    name: 'webhook queue',
    sqlite: `
CREATE TABLE webhook_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id TEXT NOT NULL,
  url TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL
);
CREATE INDEX webhook_queue_due ON webhook_queue (status, next_attempt_at);
CREATE INDEX webhook_queue_app ON webhook_queue (app_id, status, id);
`,
    postgres: `
CREATE TABLE webhook_queue (
  id bigserial PRIMARY KEY,
  app_id text NOT NULL,
  url text NOT NULL,
  body text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at bigint NOT NULL,
  next_attempt_at bigint NOT NULL
);
CREATE INDEX webhook_queue_due ON webhook_queue (status, next_attempt_at);
CREATE INDEX webhook_queue_app ON webhook_queue (app_id, status, id);
`,
  },
  {
    version: 3,
    name: 'notification targets and their delivery queue',
    sqlite: `
CREATE TABLE notify_targets (
  app_id TEXT NOT NULL,
  channel TEXT NOT NULL,
  kind TEXT NOT NULL,
  address TEXT NOT NULL,
  target TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, channel, kind, address)
);
CREATE INDEX notify_targets_address ON notify_targets (app_id, kind, address);
CREATE TABLE notify_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  app_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  address TEXT NOT NULL,
  target TEXT NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL
);
CREATE INDEX notify_queue_due ON notify_queue (next_attempt_at);
CREATE INDEX notify_queue_app ON notify_queue (app_id);
`,
    postgres: `
CREATE TABLE notify_targets (
  app_id text NOT NULL,
  channel text NOT NULL,
  kind text NOT NULL,
  address text NOT NULL,
  target text NOT NULL,
  created_at bigint NOT NULL,
  PRIMARY KEY (app_id, channel, kind, address)
);
CREATE INDEX notify_targets_address ON notify_targets (app_id, kind, address);
CREATE TABLE notify_queue (
  id bigserial PRIMARY KEY,
  app_id text NOT NULL,
  kind text NOT NULL,
  address text NOT NULL,
  target text NOT NULL,
  body text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at bigint NOT NULL,
  next_attempt_at bigint NOT NULL
);
CREATE INDEX notify_queue_due ON notify_queue (next_attempt_at);
CREATE INDEX notify_queue_app ON notify_queue (app_id);
`,
  },
  {
    // One table for every durable queue (durable-queue.ts): the message body stays a column, the
    // other job fields (url; kind, address, target) become a JSON payload.
    // Webhook rows keep their ids (failed ones are retried by id through the API); queued
    // notifications follow with new ids. Nothing queued is lost.
    version: 4,
    name: 'one durable queue table for webhooks and notifications',
    sqlite: `
CREATE TABLE queue_items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  app_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL
);
CREATE INDEX queue_items_due ON queue_items (queue, status, next_attempt_at);
CREATE INDEX queue_items_app ON queue_items (app_id, queue, status, id);
INSERT INTO queue_items (id, queue, app_id, payload, body, status, attempts, last_error, created_at, next_attempt_at)
  SELECT id, 'webhooks', app_id, json_object('url', url), body, status, attempts, last_error, created_at,
    next_attempt_at
  FROM webhook_queue ORDER BY id;
INSERT INTO queue_items (queue, app_id, payload, body, attempts, last_error, created_at, next_attempt_at)
  SELECT 'notifications', app_id, json_object('kind', kind, 'address', address, 'target', json(target)), body,
    attempts, last_error, created_at, next_attempt_at
  FROM notify_queue ORDER BY id;
DROP TABLE webhook_queue;
DROP TABLE notify_queue;
`,
    postgres: `
CREATE TABLE queue_items (
  id bigserial PRIMARY KEY,
  queue text NOT NULL,
  app_id text NOT NULL,
  payload text NOT NULL,
  body text NOT NULL,
  status text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  created_at bigint NOT NULL,
  next_attempt_at bigint NOT NULL
);
CREATE INDEX queue_items_due ON queue_items (queue, status, next_attempt_at);
CREATE INDEX queue_items_app ON queue_items (app_id, queue, status, id);
INSERT INTO queue_items (id, queue, app_id, payload, body, status, attempts, last_error, created_at, next_attempt_at)
  SELECT id, 'webhooks', app_id, json_build_object('url', url)::text, body, status, attempts, last_error,
    created_at, next_attempt_at
  FROM webhook_queue ORDER BY id;
SELECT setval(pg_get_serial_sequence('queue_items', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM queue_items), false);
INSERT INTO queue_items (queue, app_id, payload, body, attempts, last_error, created_at, next_attempt_at)
  SELECT 'notifications', app_id,
    json_build_object('kind', kind, 'address', address, 'target', target::json)::text, body,
    attempts, last_error, created_at, next_attempt_at
  FROM notify_queue ORDER BY id;
DROP TABLE webhook_queue;
DROP TABLE notify_queue;
`,
  },
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/** Migrations not yet applied, in order. Refuses a database written by a newer Pushi. */
export function pendingMigrations(applied: Iterable<number>): Migration[] {
  const done = new Set(applied);
  for (const version of done) {
    if (version > LATEST_VERSION) {
      throw new Error(
        `database schema is at version ${version}, newer than this Pushi knows (${LATEST_VERSION}); upgrade Pushi`,
      );
    }
  }
  return MIGRATIONS.filter((m) => !done.has(m.version));
}

// Guard against a mis-edited list: versions must be unique and ascending.
for (let i = 1; i < MIGRATIONS.length; i++) {
  if (MIGRATIONS[i]!.version <= MIGRATIONS[i - 1]!.version) {
    throw new Error(`migrations out of order at version ${MIGRATIONS[i]!.version}`);
  }
}
