// A database written before the durable queue table (schema version 3) upgrades without losing a
// queued item: webhook deliveries keep their ids (failed ones are retried by id), notifications
// keep their job, and new items follow the old ids. Run on SQLite and on PostgreSQL.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../../src/store/migrations.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Stores } from '../../src/store/stores.ts';
import { postgresForTests } from '../helpers/postgres.ts';

const pgTarget = await postgresForTests();
if (!pgTarget.available) console.log(`# ${pgTarget.reason}`);
else after(pgTarget.dropSchema);

const tmp = mkdtempSync(join(tmpdir(), 'pushi-migrate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const BEFORE_QUEUES = MIGRATIONS.filter((m) => m.version <= 3);
const APP = 'app-old';
// Plain literals: the same text seeds both dialects.
const SEED = [
  `INSERT INTO apps (id, key, secret, name, created_at) VALUES ('${APP}', 'key-old', 'secret-old', 'Old', 1)`,
  `INSERT INTO webhook_queue (id, app_id, url, body, status, attempts, last_error, created_at, next_attempt_at)
   VALUES (5, '${APP}', 'http://h/1', '{"events":[{"n":1}]}', 'pending', 2, 'HTTP 500', 1000, 2000),
          (7, '${APP}', 'http://h/2', '{"events":[{"n":2}]}', 'failed', 3, 'refused', 1100, 2100)`,
  `INSERT INTO notify_queue (app_id, kind, address, target, body, attempts, last_error, created_at, next_attempt_at)
   VALUES ('${APP}', 'web_push', 'https://push/1', '{"endpoint":"https://push/1","keys":{"p256dh":"p"}}',
           '{"title":"t"}', 1, 'HTTP 429', 1200, 2200),
          ('${APP}', 'email', 'a@x', '{"address":"a@x"}', '{"title":"u"}', 0, NULL, 1300, 2300)`,
];

async function assertUpgraded(stores: Stores): Promise<void> {
  assert.equal((await stores.apps.get(APP))?.name, 'Old');
  assert.equal(await stores.webhooks.countPending(APP), 1);
  assert.deepEqual(await stores.webhooks.listFailed(APP, { skip: 0, count: 10 }), [
    {
      id: 7,
      appId: APP,
      url: 'http://h/2',
      body: '{"events":[{"n":2}]}',
      status: 'failed',
      attempts: 3,
      lastError: 'refused',
      createdAt: 1100,
      nextAttemptAt: 2100,
    },
  ]);
  assert.deepEqual(await stores.webhooks.claim(5000, 1000, 10), [
    {
      id: 5,
      appId: APP,
      url: 'http://h/1',
      body: '{"events":[{"n":1}]}',
      status: 'pending',
      attempts: 2,
      lastError: 'HTTP 500',
      createdAt: 1000,
      nextAttemptAt: 6000,
    },
  ]);
  const notes = await stores.notifications.claim(5000, 1000, 10);
  assert.deepEqual(
    notes.map(({ id: _id, ...rest }) => rest),
    [
      {
        appId: APP,
        kind: 'web_push',
        address: 'https://push/1',
        target: { endpoint: 'https://push/1', keys: { p256dh: 'p' } },
        body: '{"title":"t"}',
        status: 'pending',
        attempts: 1,
        lastError: 'HTTP 429',
        createdAt: 1200,
        nextAttemptAt: 6000,
      },
      {
        appId: APP,
        kind: 'email',
        address: 'a@x',
        target: { address: 'a@x' },
        body: '{"title":"u"}',
        status: 'pending',
        attempts: 0,
        lastError: null,
        createdAt: 1300,
        nextAttemptAt: 6000,
      },
    ],
  );
  assert.ok(
    notes.every((n) => n.id > 7),
    'notifications follow the webhook ids',
  );
  await stores.webhooks.done(5);
  assert.equal(await stores.webhooks.retry(APP, 7, 9000), true, 'a failed delivery is retried by its old id');
  await stores.webhooks.enqueue([{ appId: APP, url: 'http://h/3', body: '{}', createdAt: 9000, nextAttemptAt: 9000 }]);
  const next = await stores.webhooks.claim(9000, 1000, 10);
  assert.deepEqual(
    next.map((w) => w.url),
    ['http://h/2', 'http://h/3'],
  );
  assert.ok(next[1]!.id > Math.max(...notes.map((n) => n.id)), 'new items take new ids');
}

test('SQLite: version 3 queues move into queue_items', async () => {
  const path = join(tmp, 'v3.db');
  const db = new Database(path);
  db.exec(MIGRATIONS_TABLE.sqlite);
  for (const m of BEFORE_QUEUES) {
    db.exec(m.sqlite);
    db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, 1);
  }
  for (const sql of SEED) db.exec(sql);
  db.close();

  const stores = new SqliteStore(path);
  try {
    await stores.migrate();
    await assertUpgraded(stores);
  } finally {
    await stores.close();
  }
  const after = new Database(path, { readonly: true });
  const tables = after
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('webhook_queue', 'notify_queue')")
    .all();
  after.close();
  assert.deepEqual(tables, [], 'the old queue tables are gone');
});

test(
  'PostgreSQL: version 3 queues move into queue_items',
  { skip: pgTarget.available ? false : pgTarget.reason },
  async () => {
    if (!pgTarget.available) return;
    const client = new pg.Client({ connectionString: pgTarget.url });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA "${pgTarget.schema}"`);
      await client.query(`SET search_path = "${pgTarget.schema}"`);
      await client.query(MIGRATIONS_TABLE.postgres);
      for (const m of BEFORE_QUEUES) {
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 1)', [m.version]);
      }
      for (const sql of SEED) await client.query(sql);
    } finally {
      await client.end();
    }

    const stores = new PostgresStore(pgTarget.url, { schema: pgTarget.schema, poolSize: 2 });
    try {
      await stores.migrate();
      await assertUpgraded(stores);
    } finally {
      await stores.close();
    }
  },
);
