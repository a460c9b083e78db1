// Store instrumentation (metrics/instrument-store.ts): every write of every role is timed in
// pushi_store_write_duration_seconds, reads are not, and every failure is logged once per interval.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { instrumentStore } from '../../src/metrics/instrument-store.ts';
import { Metrics } from '../../src/metrics/metrics.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { type Method, role, type RoleParts, roleParts } from '../../src/store/role.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Stores } from '../../src/store/stores.ts';
import { metric } from '../ops/ops-helpers.ts';
import { notificationUse } from './queue-contract.ts';
import { hex, newApp } from './records.ts';

const tmp = mkdtempSync(join(tmpdir(), 'pushi-instrument-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** The roles of a bundle, by name, as their implementation built them. */
function rolesOf(stores: Stores): Map<string, RoleParts> {
  const out = new Map<string, RoleParts>();
  for (const [name, value] of Object.entries(stores)) {
    const parts = roleParts(value);
    if (parts) out.set(name, parts);
  }
  return out;
}

const shape = (roles: Map<string, RoleParts>) =>
  [...roles].map(([name, p]) => [name, Object.keys(p.reads).sort(), Object.keys(p.writes).sort()]);

function logSink() {
  const lines: Array<Record<string, unknown> & { msg: string }> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      done();
    },
  });
  return { lines, logger: pino({ level: 'info' }, sink) };
}

test('SQLite and PostgreSQL build the same roles with the same reads and writes', async () => {
  const sqlite = new SqliteStore(':memory:');
  const postgres = new PostgresStore('postgres://postgres@127.0.0.1:1/unused'); // never connects
  try {
    const roles = shape(rolesOf(sqlite));
    assert.deepEqual(
      roles.map(([name]) => name),
      ['apps', 'events', 'targets', 'webhooks', 'notifications'],
    );
    assert.deepEqual(shape(rolesOf(postgres)), roles);
  } finally {
    await Promise.all([sqlite.close(), postgres.close()]);
  }
});

test('every write method of every role is timed under role.method; no read is', async () => {
  const real = new SqliteStore(':memory:');
  const roles = rolesOf(real);
  await real.close();
  // The same roles over stand-in methods: the wrapper must find the writes from how roles are built.
  const stub = (methods: Record<string, Method>, answer: string) =>
    Object.fromEntries(Object.keys(methods).map((m) => [m, async () => answer]));
  const fake: Record<string, unknown> = {
    kind: 'fake',
    migrate: async () => {},
    ping: async () => {},
    close: async () => {},
  };
  for (const [name, p] of roles) fake[name] = role(stub(p.reads, 'read'), stub(p.writes, 'write'));
  const timed: string[] = [];
  const stores = instrumentStore(fake as unknown as Stores, pino({ level: 'silent' }), {
    storeWrite: (op, seconds, ok) => {
      assert.ok(seconds >= 0 && ok);
      timed.push(op);
    },
  });

  const expected: string[] = [];
  const arg = newApp(); // the stand-ins ignore it; the wrapper logs apps.create's
  for (const [name, p] of roles) {
    const wrapped = (stores as unknown as Record<string, Record<string, Method>>)[name]!;
    for (const m of Object.keys(p.reads)) assert.equal(await wrapped[m]!(arg), 'read', `${name}.${m} answers`);
    for (const m of Object.keys(p.writes)) {
      assert.equal(await wrapped[m]!(arg), 'write', `${name}.${m} answers`);
      expected.push(`${name}.${m}`);
    }
  }
  await stores.ping();
  assert.deepEqual(timed, expected);
  for (const op of ['enqueue', 'claim', 'done', 'reschedule', 'fail', 'retry'])
    assert.ok(timed.includes(`notifications.${op}`), `notifications.${op} is timed`);
  assert.ok(timed.includes('targets.add') && timed.includes('targets.remove'));
});

test('notification writes show up in pushi_store_write_duration_seconds; failures are logged and counted', async () => {
  const metrics = new Metrics();
  const { lines, logger } = logSink();
  const stores = instrumentStore(new SqliteStore(join(tmp, 'pushi.db')), logger, metrics);
  await stores.migrate();
  const app = newApp();
  await stores.apps.create(app);
  assert.ok(lines.some((l) => l.msg === 'app created' && l.appId === app.id));
  await stores.targets.add({ appId: app.id, channel: 'c', kind: 'email', address: 'a@x', target: {}, createdAt: 1 });
  const queue = stores.notifications;
  await queue.enqueue([notificationUse.item(app.id), notificationUse.item(app.id)]);
  const [first, second] = await queue.claim(Date.now() * 2, 60_000, 10);
  await queue.reschedule(first!.id, 0, 'HTTP 500');
  await queue.done(second!.id);
  assert.equal(await queue.countPending(app.id), 1);

  const text = (await metrics.render()).text;
  const count = (op: string) => metric(text, 'pushi_store_write_duration_seconds_count', { op });
  for (const op of ['notifications.enqueue', 'notifications.claim', 'notifications.reschedule', 'notifications.done'])
    assert.equal(count(op), 1, op);
  assert.equal(count('targets.add'), 1);
  assert.equal(count('apps.create'), 1);
  assert.equal(count('notifications.countPending'), undefined, 'reads are not timed');

  // The store goes away: a write fails, is counted and logged; a read fails and is logged.
  await stores.close();
  await assert.rejects(queue.enqueue([notificationUse.item(app.id)]), StoreUnavailableError);
  await assert.rejects(stores.apps.get(app.id), StoreUnavailableError);
  const after = (await metrics.render()).text;
  assert.equal(metric(after, 'pushi_store_errors_total', { op: 'notifications.enqueue' }), 1);
  const errors = lines.filter((l) => l.msg === 'store error');
  assert.deepEqual(
    errors.map((l) => [l.op, l.store, l.error]),
    [
      ['notifications.enqueue', 'sqlite', 'StoreUnavailableError'],
      ['apps.get', 'sqlite', 'StoreUnavailableError'],
    ],
  );
});

test('a conflict is the caller answer, not a store error', async () => {
  const { lines, logger } = logSink();
  const stores = instrumentStore(new SqliteStore(':memory:'), logger);
  await stores.migrate();
  const app = newApp();
  await stores.apps.create(app);
  await assert.rejects(stores.apps.create({ ...newApp(), id: app.id }));
  assert.equal(await stores.apps.delete(app.id), true);
  assert.equal(await stores.apps.delete(`nope-${hex()}`), false);
  await stores.close();
  assert.deepEqual(
    lines.map((l) => l.msg),
    ['app created', 'app deleted'],
  );
});
