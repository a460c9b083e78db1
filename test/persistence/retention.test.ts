// Retention runs in the background on a running server: stored events past an app's per-channel
// bound or age limit go without anyone asking (the store's prune itself is in the store contract).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { signedFetch } from '../helpers/signed-fetch.ts';
import type { TestServer } from '../helpers/server.ts';
import { eventually, startWithApps, type OpsApp } from '../ops/ops-helpers.ts';

const BOUNDED: OpsApp = {
  id: 'bounded-app',
  key: 'bounded-key',
  secret: 'bounded-secret',
  options: { persist: true, maxStoredEventsPerChannel: 2 },
};
const AGED: OpsApp = {
  id: 'aged-app',
  key: 'aged-key',
  secret: 'aged-secret',
  options: { persist: true, maxStoredEventAge: 1 },
};
let s: TestServer;
before(async () => (s = await startWithApps([BOUNDED, AGED], { retentionIntervalMs: 50 })));
after(() => s.close());

const call = async (app: OpsApp, method: string, path: string, body?: unknown) => {
  const res = await signedFetch(s.httpUrl, `/apps/${app.id}${path}`, {
    method,
    body,
    key: app.key,
    secret: app.secret,
  });
  return { status: res.status, body: (await res.json()) as { events: { event: string }[] } };
};
const stored = async (app: OpsApp, channel: string) =>
  (await call(app, 'GET', `/channels/${channel}/events`)).body.events.map((e) => e.event).sort();
const trigger = async (app: OpsApp, channel: string, name: string) =>
  assert.equal((await call(app, 'POST', '/events', { name, channel, data: '{}' })).status, 200);

test('past maxStoredEventsPerChannel, the oldest stored events are removed in the background', async () => {
  for (const name of ['e1', 'e2', 'e3', 'e4', 'e5']) await trigger(BOUNDED, 'kept', name);
  await trigger(BOUNDED, 'other', 'o1');
  await eventually(async () => (await stored(BOUNDED, 'kept')).length === 2, 10_000, 'retention by count');
  assert.deepEqual(await stored(BOUNDED, 'kept'), ['e4', 'e5']);
  assert.deepEqual(await stored(BOUNDED, 'other'), ['o1'], 'the bound is per channel');
});

test('past maxStoredEventAge, stored events are removed in the background', async () => {
  await trigger(AGED, 'old', 'a1');
  await trigger(AGED, 'old', 'a2');
  assert.deepEqual(await stored(AGED, 'old'), ['a1', 'a2']);
  await eventually(async () => (await stored(AGED, 'old')).length === 0, 10_000, 'retention by age');
});
