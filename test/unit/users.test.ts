// Sign-in and watchlists (src/hub/users.ts) through the hub, on exact frames: each refusal with its
// message and code, signing in again, online/offline to watchers, terminating a user.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Connection } from '../../src/hub/connection.ts';
import { userAuth } from '../../src/protocol/signatures.ts';
import { hubKit, makeApp, type HubKit } from './hub-kit.ts';

const app = makeApp();
const kits: HubKit[] = [];
function kit() {
  const k = hubKit([app]);
  kits.push(k);
  return k;
}
after(() => {
  for (const k of kits) k.hub.stop();
});

const fatal = (message: string, code: number) => ({ event: 'pusher:error', data: JSON.stringify({ message, code }) });
const watchlist = (name: string, ids: string[]) => ({
  event: 'pusher_internal:watchlist_events',
  data: JSON.stringify({ events: [{ name, user_ids: ids }] }),
});

function signin(k: HubKit, conn: Connection, user: unknown, auth?: string) {
  const userData = typeof user === 'string' ? user : JSON.stringify(user);
  k.send(conn, {
    event: 'pusher:signin',
    data: { user_data: userData, auth: auth ?? userAuth(app.key, app.secret, conn.id, userData) },
  });
}

test('signed in: signin_success with the user data, the user known on the connection', () => {
  const k = kit();
  const { conn, socket } = k.connect();
  socket.take();
  signin(k, conn, { id: 'ann', user_info: { n: 1 }, watchlist: [1, 'bob'] });
  assert.deepEqual(socket.take(), [
    {
      event: 'pusher:signin_success',
      data: JSON.stringify({ user_data: '{"id":"ann","user_info":{"n":1},"watchlist":[1,"bob"]}' }),
    },
  ]);
  assert.deepEqual(conn.user, {
    id: 'ann',
    userData: '{"id":"ann","user_info":{"n":1},"watchlist":[1,"bob"]}',
    info: { n: 1 },
    watchlist: ['1', 'bob'],
  });
});

test('refused with 4009 and closed: a bad signature, user_data that is not JSON or has no id', () => {
  const cases: Array<[unknown, string, string?]> = [
    [{ id: 'ann' }, 'Invalid signature for pusher:signin', 'key-1:00'],
    ['{nope', 'user_data is not valid JSON'],
    [{ name: 'ann' }, 'user_data needs a non-empty string id'],
    [{ id: '' }, 'user_data needs a non-empty string id'],
    [{ id: 5 }, 'user_data needs a non-empty string id'],
    ['null', 'user_data needs a non-empty string id'],
  ];
  for (const [user, message, auth] of cases) {
    const k = kit();
    const { conn, socket } = k.connect();
    socket.take();
    signin(k, conn, user, auth);
    assert.deepEqual(socket.take(), [fatal(message, 4009)], message);
    assert.deepEqual(socket.closedWith, { code: 4009, reason: message });
    assert.equal(conn.user, undefined);
  }
  const k = kit();
  const { conn, socket } = k.connect();
  socket.take();
  k.send(conn, { event: 'pusher:signin', data: { user_data: 5, auth: 'x' } });
  assert.deepEqual(socket.take(), [fatal('Invalid signature for pusher:signin', 4009)]);
});

test('a watchlist of up to 100 ids; more is 4302', () => {
  const k = kit();
  const ok = k.connect();
  signin(k, ok.conn, { id: 'a', watchlist: Array.from({ length: 100 }, (_, i) => `u${i}`) });
  assert.equal(ok.conn.user?.watchlist.length, 100);
  const long = k.connect();
  long.socket.take();
  signin(k, long.conn, { id: 'b', watchlist: Array.from({ length: 101 }, (_, i) => `u${i}`) });
  assert.deepEqual(long.socket.take(), [fatal('Watchlist longer than 100', 4302)]);
  const notList = k.connect();
  signin(k, notList.conn, { id: 'c', watchlist: 'u1' });
  assert.deepEqual(notList.conn.user?.watchlist, []);
});

test('watchers hear online on a user first connection and offline on its last; online ones at sign-in', async () => {
  const k = kit();
  const bob = k.connect();
  signin(k, bob.conn, { id: 'bob' });
  const ann = k.connect();
  ann.socket.take();
  signin(k, ann.conn, { id: 'ann', watchlist: ['bob', 'carl'] });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(ann.socket.take().slice(1), [watchlist('online', ['bob'])]);
  const carl1 = k.connect();
  const carl2 = k.connect();
  signin(k, carl1.conn, { id: 'carl' });
  signin(k, carl2.conn, { id: 'carl' });
  assert.deepEqual(ann.socket.take(), [watchlist('online', ['carl'])], 'once, on the first connection');
  k.hub.closed(carl1.conn);
  assert.deepEqual(ann.socket.take(), []);
  k.hub.closed(carl2.conn);
  assert.deepEqual(ann.socket.take(), [watchlist('offline', ['carl'])]);
  // Signing in again as someone else: offline for the old user, and the old watchlist is dropped.
  signin(k, bob.conn, { id: 'bobby' });
  assert.deepEqual(ann.socket.take(), [watchlist('offline', ['bob'])]);
  k.hub.closed(ann.conn);
  const state = k.hub.states.get('1')!;
  assert.equal(state.watchers.size, 0);
  assert.deepEqual([...state.users.keys()], ['bobby']);
});

test('terminate: every connection of the user closes with 4009; others stay', () => {
  const k = kit();
  const a1 = k.connect();
  const a2 = k.connect();
  const b = k.connect();
  signin(k, a1.conn, { id: 'ann' });
  signin(k, a2.conn, { id: 'ann' });
  signin(k, b.conn, { id: 'bob' });
  assert.equal(k.hub.users.terminate('1', 'ann'), 2);
  const message = 'Connections of this user were terminated';
  for (const c of [a1, a2]) {
    assert.deepEqual(c.socket.take().at(-1), fatal(message, 4009));
    assert.deepEqual(c.socket.closedWith, { code: 4009, reason: message });
  }
  assert.equal(b.socket.closedWith, undefined);
  assert.equal(k.hub.users.terminate('1', 'nobody'), 0);
  assert.equal(k.hub.users.terminate('nope', 'ann'), 0);
});
