// Signatures against independent references: Node's createHmac and the official `pusher` SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import Pusher from 'pusher';
import {
  canonicalQuery,
  channelAuth,
  hmacHex,
  md5Hex,
  requestStringToSign,
  safeEqual,
  signRequest,
  userAuth,
  verifyChannelAuth,
  verifyUserAuth,
  webhookSignature,
} from '../../src/protocol/signatures.ts';
import { newMessageId, newSocketId, randomHex } from '../../src/protocol/ids.ts';

const ref = (secret: string | Buffer, message: string) => createHmac('sha256', secret).update(message).digest('hex');
const sdk = new Pusher({ appId: '1', key: 'key', secret: 'shh', host: 'unused' });

test('channelAuth and userAuth are what the pusher SDK signs', () => {
  const data = '{"user_id":"u","user_info":{"name":"Ann"}}';
  assert.equal(channelAuth('key', 'shh', '1.2', 'private-c'), sdk.authorizeChannel('1.2', 'private-c').auth);
  assert.equal(
    channelAuth('key', 'shh', '1.2', 'presence-c', data),
    sdk.authorizeChannel('1.2', 'presence-c', { user_id: 'u', user_info: { name: 'Ann' } }).auth,
  );
  assert.equal(channelAuth('key', 'shh', '1.2', 'private-c', ''), `key:${ref('shh', '1.2:private-c:')}`);
  assert.equal(userAuth('key', 'shh', '1.2', '{"id":"u"}'), sdk.authenticateUser('1.2', { id: 'u' }).auth);
  assert.equal(
    verifyChannelAuth(channelAuth('key', 'shh', '1.2', 'private-c'), 'key', 'shh', '1.2', 'private-c'),
    true,
  );
  assert.equal(
    verifyChannelAuth(channelAuth('key', 'shh', '1.2', 'private-c'), 'key', 'shh', '1.3', 'private-c'),
    false,
  );
  assert.equal(verifyChannelAuth(42, 'key', 'shh', '1.2', 'private-c'), false);
  assert.equal(verifyUserAuth(userAuth('key', 'shh', '1.2', 'd'), 'key', 'shh', '1.2', 'd'), true);
  assert.equal(verifyUserAuth(userAuth('key', 'shh', '1.2', 'd'), 'key', 'shh', '1.2', 'e'), false);
  assert.equal(verifyUserAuth(undefined, 'key', 'shh', '1.2', 'd'), false);
});

test('safeEqual: equal strings only, whatever the lengths', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
  assert.equal(safeEqual('', ''), true);
});

test('the REST signature: method upper-cased, keys lower-cased and sorted, auth_signature left out', () => {
  const params = { z: '1', Auth_Key: 'k', b: 'x y', a: '2', auth_signature: 'old' };
  assert.equal(canonicalQuery(params), 'a=2&auth_key=k&b=x y&z=1');
  assert.equal(canonicalQuery(new Map(Object.entries(params))), 'a=2&auth_key=k&b=x y&z=1');
  assert.equal(canonicalQuery({ c: '1', b: '2', a: '3' }), 'a=3&b=2&c=1');
  assert.equal(canonicalQuery({}), '');
  assert.equal(
    canonicalQuery({ B: '1', b: '2', a: '3' }),
    'a=3&b=1&b=2',
    'keys equal once lower-cased keep their order',
  );
  assert.equal(requestStringToSign('post', '/apps/1/events', params), 'POST\n/apps/1/events\na=2&auth_key=k&b=x y&z=1');
  assert.equal(signRequest('shh', 'get', '/p', { b: '1', a: '2' }), ref('shh', 'GET\n/p\na=2&b=1'));
});

test('md5Hex and webhookSignature', () => {
  assert.equal(md5Hex('body'), createHash('md5').update('body').digest('hex'));
  assert.equal(md5Hex(Buffer.from('é')), createHash('md5').update('é').digest('hex'));
  assert.equal(webhookSignature('shh', '{"events":[]}'), ref('shh', '{"events":[]}'));
});

test('hmacHex equals createHmac at the edges: key sizes around the block, long and multibyte text', () => {
  for (const secret of ['', 's', 'x'.repeat(63), 'x'.repeat(64), 'x'.repeat(65), 'é'.repeat(32), 'é'.repeat(33)])
    for (const message of ['', 'm', 'é😀', 'y'.repeat(16 * 1024), 'y'.repeat(16 * 1024 + 1), 'é'.repeat(9000)])
      assert.equal(hmacHex(secret, message), ref(secret, message), `${secret.length}/${message.length}`);
  // Many secrets (past the pad cache's bound) and back to the first.
  for (let i = 0; i < 300; i++) assert.equal(hmacHex(`secret-${i}`, 'm'), ref(`secret-${i}`, 'm'));
  assert.equal(hmacHex('secret-0', 'm'), ref('secret-0', 'm'));
});

test('ids: socket ids as the SDKs validate them, hex of the asked size, message ids sort by time', () => {
  assert.match(newSocketId(), /^\d+\.\d+$/);
  assert.notEqual(newSocketId(), newSocketId());
  for (const bytes of [1, 6, 4096, 4097, 5000]) assert.match(randomHex(bytes), new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
  const draws = new Set(Array.from({ length: 2000 }, () => randomHex(6))); // several pool refills
  assert.equal(draws.size, 2000);
  assert.match(newMessageId(0), /^000000000[0-9a-f]{12}$/);
  assert.match(newMessageId(36 ** 9 - 1), /^zzzzzzzzz[0-9a-f]{12}$/);
  const ids = [5, 1_700_000_000_000, 40, 1_700_000_000_001].map((t) => newMessageId(t));
  assert.deepEqual([...ids].sort(), [ids[0], ids[2], ids[1], ids[3]]);
  const [past, now, future] = [newMessageId(Date.now() - 1000), newMessageId(), newMessageId(Date.now() + 1000)];
  assert.deepEqual([future, now, past].sort(), [past, now, future], 'the default time is now');
});
