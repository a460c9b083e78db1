// private-encrypted- channels end to end: the `pusher` SDK encrypts, the server only routes,
// pusher-js decrypts with the shared_secret from the SDK's authorizeChannel.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type Pusher from 'pusher';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { createPusher, disconnectAll, once, record, subscribed } from '../helpers/pusher-js.ts';

let s: TestServer;
let sdk: Pusher;
before(async () => {
  s = await startServer();
  sdk = s.sdk({ encryptionMasterKeyBase64: randomBytes(32).toString('base64') });
});
afterEach(() => disconnectAll());
after(() => s.close());

const secretMessage = { text: 'for your eyes only', n: 42, nested: { list: [1, 2, 3] } };

/** A raw socket subscribed to an encrypted channel, to see exactly what the server routes. */
async function rawSubscriber(channel: string): Promise<RawClient & { socketId: string }> {
  const raw = await RawClient.established(s.wsUrl());
  const { auth } = sdk.authorizeChannel(raw.socketId, channel);
  assert.equal((await raw.subscribe(channel, auth)).event, 'pusher_internal:subscription_succeeded');
  return raw;
}

test('authorizeChannel on an encrypted channel includes a shared_secret', async () => {
  const auth = sdk.authorizeChannel('123.456', 'private-encrypted-x');
  assert.equal(typeof auth.shared_secret, 'string');
  assert.equal(Buffer.from(auth.shared_secret!, 'base64').length, 32);
});

test('pusher-js decrypts an SDK-triggered event to the original object; the wire carries only ciphertext', async () => {
  const p = createPusher(s, { signer: sdk });
  const ch = await subscribed(p, 'private-encrypted-x');
  const raw = await rawSubscriber('private-encrypted-x');
  const got = once(ch, 'secret');
  await sdk.trigger('private-encrypted-x', 'secret', secretMessage);
  assert.deepEqual(await got, secretMessage);

  const frame = await raw.waitFor((f) => f.event === 'secret');
  const envelope = decode(frame);
  assert.deepEqual(Object.keys(envelope).sort(), ['ciphertext', 'nonce']);
  assert.ok(!raw.raw.some((t) => t.includes('for your eyes only')), 'plaintext never crosses the server');
  raw.close();
});

test('triggerBatch encrypts each encrypted item; pusher-js decrypts them', async () => {
  const p = createPusher(s, { signer: sdk });
  const a = await subscribed(p, 'private-encrypted-a');
  const b = await subscribed(p, 'private-encrypted-b');
  const got = [once(a, 'e'), once(b, 'e')];
  await sdk.triggerBatch([
    { channel: 'private-encrypted-a', name: 'e', data: { to: 'a' } },
    { channel: 'private-encrypted-b', name: 'e', data: { to: 'b' } },
  ]);
  assert.deepEqual(await Promise.all(got), [{ to: 'a' }, { to: 'b' }]);
});

test('a subscriber whose shared_secret comes from another master key cannot read the event', async () => {
  const wrongKey = s.sdk({ encryptionMasterKeyBase64: randomBytes(32).toString('base64') });
  const p = createPusher(s, { signer: wrongKey });
  const ch = await subscribed(p, 'private-encrypted-keyed');
  const decrypted = record(ch, 'secret');
  const right = createPusher(s, { signer: sdk });
  const chRight = await subscribed(right, 'private-encrypted-keyed');
  const ok = once(chRight, 'secret');
  await sdk.trigger('private-encrypted-keyed', 'secret', secretMessage);
  assert.deepEqual(await ok, secretMessage);
  // Barrier: a later event on a public channel of the same socket arrives after the secret one.
  const pub = await subscribed(p, 'encrypted-barrier');
  const barrier = once(pub, 'b');
  await sdk.trigger('encrypted-barrier', 'b', {});
  await barrier;
  assert.equal(decrypted.length, 0);
});

test('client events on an encrypted channel: pusher-js refuses, the server rejects with 4301', async () => {
  const p = createPusher(s, { signer: sdk });
  const ch = await subscribed(p, 'private-encrypted-chat');
  assert.throws(() => ch.trigger('client-x', {}), /not currently supported for encrypted channels/);
  const leaked = record(ch, 'client-x');

  const raw = await rawSubscriber('private-encrypted-chat');
  raw.send({ event: 'client-x', channel: 'private-encrypted-chat', data: { hi: 1 } });
  const err = await raw.waitFor((f) => f.event === 'pusher:error');
  assert.equal(decode(err).code, 4301);
  const barrier = once(ch, 'barrier');
  await sdk.trigger('private-encrypted-chat', 'barrier', {});
  await barrier; // decrypted fine, and after any forwarded client event
  assert.equal(leaked.length, 0);
  assert.equal(raw.closeCode, undefined, '4301 does not close the socket');
  raw.close();
});

test('an encrypted channel triggered together with another channel → 400', async () => {
  assert.throws(() => sdk.trigger(['private-encrypted-x', 'plain'], 'e', {}), /multiple channels/);
  // Past the SDK's own check, straight to the endpoint.
  const body = { name: 'e', data: '{"nonce":"x","ciphertext":"y"}', channels: ['private-encrypted-x', 'plain'] };
  const err = (await sdk.post({ path: '/events', body: body as unknown as string }).catch((e) => e)) as {
    status: number;
    body: string;
  };
  assert.equal(err.status, 400);
  assert.match(JSON.parse(err.body).error, /encrypted channel/);
  const p = createPusher(s, { signer: sdk });
  const ch = await subscribed(p, 'private-encrypted-x');
  const got = once(ch, 'after');
  await sdk.trigger('private-encrypted-x', 'after', { still: 'serving' });
  assert.deepEqual(await got, { still: 'serving' });
});
