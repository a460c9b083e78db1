// Peer channels: presence members joining with "peer": true get a pair channel with every other
// member, usable for client events, closed to everyone else, torn down when either side leaves.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.ts';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';

let s: TestServer;
before(async () => (s = await startServer()));
after(() => s.close());

async function member(channel: string, userId: string, peer: boolean) {
  const c = await RawClient.established(s.wsUrl());
  const channelData = JSON.stringify({ user_id: userId, user_info: { name: userId }, ...(peer ? { peer: true } : {}) });
  const ok = await c.subscribe(
    channel,
    channelAuth(s.app.key, s.app.secret, c.socketId, channel, channelData),
    channelData,
  );
  assert.equal(ok.event, 'pusher_internal:subscription_succeeded');
  return c;
}

const joined = (c: RawClient, pair: string) =>
  c.waitFor((f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === pair);

test('two members get their pair channel and can talk on it; nobody else can join it', async () => {
  const alice = await member('presence-chat', 'alice', true);
  const bob = await member('presence-chat', 'bob', false);
  const pair = 'peer-chat:alice&bob';
  await joined(alice, pair);
  await joined(bob, pair);
  alice.send({ event: 'client-hi', channel: pair, data: { text: 'hello bob' } });
  const got = await bob.waitFor((f) => f.event === 'client-hi');
  assert.equal(got.channel, pair);
  assert.deepEqual(got.data, { text: 'hello bob' });
  // Bob answers after alice's event reached him: an echo to alice would have arrived before it.
  bob.send({ event: 'client-ack', channel: pair, data: {} });
  await alice.waitFor((f) => f.event === 'client-ack' && f.channel === pair);
  assert.equal(alice.events('client-hi').length, 0, 'not echoed to the sender');

  const attempt = async (auth: (socketId: string) => string | undefined) => {
    const carol = await RawClient.established(s.wsUrl());
    const reply = await carol.subscribe(pair, auth(carol.socketId));
    carol.close();
    return reply.event;
  };
  assert.equal(
    await attempt((id) => channelAuth(s.app.key, s.app.secret, id, 'peer-chat:alice&carol')),
    'pusher:subscription_error',
  );
  assert.equal(await attempt(() => undefined), 'pusher:subscription_error');
  // A signature for that exact name is the only way in.
  assert.equal(
    await attempt((id) => channelAuth(s.app.key, s.app.secret, id, pair)),
    'pusher_internal:subscription_succeeded',
  );
  for (const c of [alice, bob]) c.close();
});

test('a member leaving tears the pair down on both sides; unsubscribe tears down the leaver too', async () => {
  const dan = await member('presence-room', 'dan', true);
  const eve = await member('presence-room', 'eve', true);
  const pair = 'peer-room:dan&eve';
  await joined(dan, pair);
  await joined(eve, pair);
  eve.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-room' } });
  await dan.waitFor((f) => f.event === 'pusher_internal:member_removed');
  // Both sides left the pair: a client event on it is now rejected for each of them.
  for (const c of [dan, eve]) {
    c.send({ event: 'client-x', channel: pair, data: {} });
    const err = await c.next('pusher:error');
    assert.match(decode(err).message, /not subscribed/);
  }
  dan.close();
  eve.close();
});

test('a second connection of a user keeps the pair open until its last one leaves', async () => {
  const fay1 = await member('presence-team', 'fay', true);
  const gus = await member('presence-team', 'gus', false);
  const pair = 'peer-team:fay&gus';
  await joined(gus, pair);
  const fay2 = await member('presence-team', 'fay', true);
  await joined(fay2, pair);
  fay1.close();
  await fay1.waitClose();
  gus.send({ event: 'client-still', channel: pair, data: 1 });
  await fay2.waitFor((f) => f.event === 'client-still');
  fay2.close();
  await gus.waitFor((f) => f.event === 'pusher_internal:member_removed');
  gus.send({ event: 'client-gone', channel: pair, data: 1 });
  assert.match(decode(await gus.next('pusher:error')).message, /not subscribed/);
  gus.close();
});
