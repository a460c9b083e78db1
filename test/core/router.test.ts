// The HTTP API's route table: which route a method and path reach, with what parameters. The
// literal head/tail pre-check in Router.match must never turn away a path its pattern accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Match, Router } from '../../src/api/router.ts';

const ok = () => ({ body: {} });
const router = new Router()
  .add('GET', '/', ok)
  .add('GET', '/health', ok)
  .add('GET', '/pushi.js', ok)
  .add('GET', '/apps/:appId/channels', ok)
  .add('GET', '/apps/:appId/channels/:channel', ok)
  .add('GET', '/apps/:appId/channels/:channel/users', ok)
  .add('POST', '/apps/:appId/events', ok)
  .add('GET', '/apps/:appId/channels/:channel/events', ok)
  .add('DELETE', '/apps/:appId/subscriptions/:userId/:event', ok)
  .add('POST', '/apps/:appId/webhooks/failed/:id/retry', ok)
  .add('GET', '/apps/:appId', ok)
  .add('PATCH', '/apps/:appId', ok);

function route(method: string, path: string): [string, Record<string, string>] | string[] | undefined {
  const m = router.match(method, path);
  if (!m) return undefined;
  if ('methods' in m) return m.methods;
  return [(m as Match).route.label, m.params];
}

test('literal routes, with and without the one trailing slash the patterns allow', () => {
  assert.deepEqual(route('GET', '/'), ['/', {}]);
  assert.deepEqual(route('GET', '/health'), ['/health', {}]);
  assert.deepEqual(route('GET', '/health/'), ['/health', {}]);
  assert.deepEqual(route('GET', '/pushi.js'), ['/pushi.js', {}]);
  assert.equal(route('GET', '/health//'), undefined);
  assert.equal(route('GET', '/healthz'), undefined);
  assert.equal(route('GET', '/pushixjs'), undefined);
});

test('parameters in the middle and at the end, decoded', () => {
  assert.deepEqual(route('POST', '/apps/42/events'), ['/apps/:appId/events', { appId: '42' }]);
  assert.deepEqual(route('POST', '/apps/42/events/'), ['/apps/:appId/events', { appId: '42' }]);
  assert.deepEqual(route('GET', '/apps/42/channels'), ['/apps/:appId/channels', { appId: '42' }]);
  assert.deepEqual(route('GET', '/apps/42/channels/presence-room'), [
    '/apps/:appId/channels/:channel',
    { appId: '42', channel: 'presence-room' },
  ]);
  assert.deepEqual(route('GET', '/apps/42/channels/a%20b/'), [
    '/apps/:appId/channels/:channel',
    { appId: '42', channel: 'a b' },
  ]);
  // a channel named like a literal segment still reaches the parameter route
  assert.deepEqual(route('GET', '/apps/42/channels/events'), [
    '/apps/:appId/channels/:channel',
    { appId: '42', channel: 'events' },
  ]);
  assert.deepEqual(route('GET', '/apps/42/channels/c/events'), [
    '/apps/:appId/channels/:channel/events',
    { appId: '42', channel: 'c' },
  ]);
  assert.deepEqual(route('GET', '/apps/42/channels/c/users'), [
    '/apps/:appId/channels/:channel/users',
    { appId: '42', channel: 'c' },
  ]);
  assert.deepEqual(route('DELETE', '/apps/42/subscriptions/u1/ev'), [
    '/apps/:appId/subscriptions/:userId/:event',
    { appId: '42', userId: 'u1', event: 'ev' },
  ]);
  assert.deepEqual(route('POST', '/apps/42/webhooks/failed/7/retry'), [
    '/apps/:appId/webhooks/failed/:id/retry',
    { appId: '42', id: '7' },
  ]);
  assert.deepEqual(route('GET', '/apps/42'), ['/apps/:appId', { appId: '42' }]);
  assert.equal(route('GET', '/apps/42/channels/a/b/c'), undefined);
  assert.equal(route('GET', '/apps//channels'), undefined);
  assert.equal(route('POST', '/apps/42/webhooks/failed/7/retryx'), undefined);
});

test('a path that matches only under another method lists the methods (405); HEAD reaches GET', () => {
  assert.deepEqual(route('GET', '/apps/42/events'), ['POST']);
  assert.deepEqual(route('DELETE', '/apps/42'), ['GET', 'PATCH']);
  assert.deepEqual(route('HEAD', '/health'), ['/health', {}]);
  assert.equal(route('POST', '/nothing/here'), undefined);
});

test('the pre-check agrees with the patterns on every path built from the routes', () => {
  // Each route pattern, without the pre-check, decides which route wins: the first in table order.
  const routes = (router as unknown as { routes: Array<{ method: string; pattern: RegExp; label: string }> }).routes;
  const segments = [
    'apps',
    '42',
    'channels',
    'c',
    'events',
    'users',
    'subscriptions',
    'webhooks',
    'failed',
    'retry',
    'health',
    'pushi.js',
    '',
  ];
  const paths = new Set<string>(['/']);
  for (const a of segments) {
    paths.add(`/${a}`);
    paths.add(`/${a}/`);
    for (const b of segments) {
      paths.add(`/${a}/${b}`);
      for (const c of segments)
        for (const d of ['', 'events', 'users', 'c']) paths.add(`/${a}/${b}/${c}/${d}`.replace(/\/$/, ''));
    }
  }
  for (const path of paths) {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const first = routes.find((r) => r.pattern.test(path) && r.method === method);
      const got = router.match(method, path);
      assert.equal(got && 'route' in got ? got.route.label : undefined, first?.label, `${method} ${path}`);
    }
  }
});
