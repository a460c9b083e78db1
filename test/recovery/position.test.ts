// The position helpers both clients share, and the pusher-js add-on's checks of what it is given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isDuplicate, readPosition, recoveredFlag, recoverRequest } from '../../src/client/position.ts';
import { recover } from '../../src/pusher-js/index.ts';
import { Pusher } from '../helpers/pusher-js.ts';

test('readPosition takes a non-empty string epoch and a non-negative safe integer offset, nothing else', () => {
  assert.deepEqual(readPosition({ epoch: 'e', offset: 0, other: 1 }), { epoch: 'e', offset: 0 });
  for (const bad of [
    undefined,
    null,
    'e:1',
    {},
    { epoch: 'e' },
    { offset: 1 },
    { epoch: '', offset: 1 },
    { epoch: 7, offset: 1 },
    { epoch: 'e', offset: '1' },
    { epoch: 'e', offset: -1 },
    { epoch: 'e', offset: 1.5 },
    { epoch: 'e', offset: 2 ** 53 },
  ])
    assert.equal(readPosition(bad), undefined, JSON.stringify(bad));
});

test('a duplicate is at or below the tracked offset in the tracked epoch; a new epoch never is', () => {
  const tracked = { epoch: 'e', offset: 5 };
  assert.equal(isDuplicate(undefined, { epoch: 'e', offset: 1 }), false);
  assert.equal(isDuplicate(tracked, { epoch: 'e', offset: 5 }), true);
  assert.equal(isDuplicate(tracked, { epoch: 'e', offset: 4 }), true);
  assert.equal(isDuplicate(tracked, { epoch: 'e', offset: 6 }), false);
  assert.equal(isDuplicate(tracked, { epoch: 'f', offset: 1 }), false);
});

test('recoverRequest names the previous socket when known; recoveredFlag reads only booleans', () => {
  assert.deepEqual(recoverRequest({ epoch: 'e', offset: 3 }, '1.2'), { epoch: 'e', offset: 3, socket_id: '1.2' });
  assert.deepEqual(recoverRequest({ epoch: 'e', offset: 3 }, undefined), { epoch: 'e', offset: 3 });
  assert.equal(recoveredFlag({ recovered: true }), true);
  assert.equal(recoveredFlag({ recovered: false }), false);
  assert.equal(recoveredFlag({ recovered: 'false' }), undefined);
  assert.equal(recoveredFlag('x'), undefined);
});

test('recover() refuses what is not a pusher-js instance, and attaches once per instance', () => {
  assert.throws(() => recover({} as never), /needs a pusher-js instance.*send_event\(\).*echo\.connector\.pusher/);
  const p = new Pusher('test-key', { cluster: 'x', wsHost: '127.0.0.1', wsPort: 1, enabledTransports: ['ws'] });
  p.disconnect();
  assert.equal(recover(p), recover(p));
});

function fakePusher(state: string) {
  const connected: (() => void)[] = [];
  const fake = {
    connection: {
      state,
      socket_id: '1.1',
      connection: { transport: {} },
      bind: (event: string, fn: () => void) => event === 'connected' && connected.push(fn),
    },
    send_event: () => true,
    unsubscribe: () => undefined,
    channel: () => undefined,
  };
  return { fake, connect: () => connected.forEach((fn) => fn()) };
}

test('recover() on a connected pusher-js without the raw message hook throws, naming what is missing', () => {
  const { fake } = fakePusher('connected');
  assert.throws(() => recover(fake), /transport\.onMessage.*tested with pusher-js 8\.6\.0/);
});

test('a later connect without the raw message hook logs and emits error, and pusher-js goes on', (t) => {
  const logged = t.mock.method(console, 'error', () => undefined);
  const { fake, connect } = fakePusher('connecting');
  const errors: string[] = [];
  recover(fake).bind('error', ({ message }) => errors.push(message));
  assert.doesNotThrow(connect);
  assert.match(errors[0], /transport\.onMessage/);
  assert.equal(logged.mock.callCount(), 1);
});
