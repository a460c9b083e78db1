// Channel-name rules, exactly: every prefix's kind and flags, each refusal's message, peer names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  channelNameError,
  channelRules,
  MAX_CHANNEL_NAME,
  parsePeerChannel,
  peerChannelName,
} from '../../src/protocol/channels.ts';

const r = (kind: string, signed: boolean, clientEvents: boolean, cache = false) => ({
  kind,
  cache,
  signed,
  clientEvents,
});

test('channelRules: kind, cache, signed and clientEvents for every prefix', () => {
  const table: Array<[string, ReturnType<typeof r>]> = [
    ['news', r('public', false, false)],
    ['cache-news', r('public', false, false, true)],
    ['cachenews', r('public', false, false)],
    ['xcache-news', r('public', false, false)],
    ['private-chat', r('private', true, true)],
    ['private-cache-chat', r('private', true, true, true)],
    ['private-encrypted-chat', r('private-encrypted', true, false)],
    ['private-encrypted-cache-chat', r('private-encrypted', true, false, true)],
    ['private-chat-encrypted-x', r('private', true, true)],
    ['private-chat-cache-x', r('private', true, true)],
    ['private-encrypted-x-cache-y', r('private-encrypted', true, false)],
    ['presence-room', r('presence', true, true)],
    ['presence-cache-room', r('presence', true, true, true)],
    ['presence-room-cache-x', r('presence', true, true)],
    ['personal-ann', r('personal', true, false)],
    ['peer-room:a&b', r('peer', true, true)],
    ['pizza', r('public', false, false)],
    ['privatechat', r('public', false, false)],
    ['#server-to-user-ann', r('user', false, false)],
    ['#other', r('public', false, false)],
    ['cache-private-x', r('public', false, false, true)],
  ];
  for (const [name, rules] of table) assert.deepEqual({ ...channelRules(name) }, rules, name);
  assert.ok(Object.isFrozen(channelRules('news')), 'shared rules cannot be changed by a caller');
  assert.equal(channelRules('private-a'), channelRules('private-b'), 'one object per kind: nothing allocated');
});

test('channelNameError: each refusal has its own message; legal names pass', () => {
  for (const bad of ['', undefined, null, 42, {}])
    assert.equal(channelNameError(bad), 'channel name must be a non-empty string', String(bad));
  assert.equal(channelNameError('x'.repeat(MAX_CHANNEL_NAME + 1)), 'channel name longer than 200 characters');
  assert.equal(channelNameError('x'.repeat(MAX_CHANNEL_NAME)), undefined);
  assert.equal(
    channelNameError('bad name'),
    'invalid characters in channel name (allowed: A-Z a-z 0-9 _ - = @ , . ; & :)',
  );
  assert.equal(channelNameError('#server-to-user-bad name'), 'invalid characters in channel name');
  assert.equal(channelNameError('#server-to-user-ann'), undefined);
  assert.equal(channelNameError('#server-to-user-'), 'invalid characters in channel name');
  assert.match(channelNameError('#other')!, /allowed: /, 'a # name that is no user channel is an ordinary name');
  for (const ok of ['a', 'A-Z_a-z0-9', 'x=@,.;&:y', 'presence-room', 'peer-room:a&b'])
    assert.equal(channelNameError(ok), undefined, ok);
});

test('peerChannelName sorts the two ids; parsePeerChannel reads it back', () => {
  assert.equal(peerChannelName('presence-room', 'bob', 'alice'), 'peer-room:alice&bob');
  assert.equal(peerChannelName('presence-room', 'alice', 'bob'), 'peer-room:alice&bob');
  assert.equal(peerChannelName('presence-room', 'ann', 'ann'), 'peer-room:ann&ann');
  assert.deepEqual(parsePeerChannel('peer-room:alice&bob'), { presence: 'presence-room', users: ['alice', 'bob'] });
  assert.deepEqual(parsePeerChannel('peer-a:b:c&d'), { presence: 'presence-a:b', users: ['c', 'd'] });
  for (const bad of [
    'room:a&b',
    'xpeer-room:a&b',
    'peer-:a&b',
    'peer-room',
    'peer-room:a',
    'peer-room:a&',
    'peer-room:&b',
    'peer-room:a&b&c',
  ])
    assert.equal(parsePeerChannel(bad), undefined, bad);
});
