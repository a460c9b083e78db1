// Inbound decoding and outbound encoding, exactly: each refusal's message, the data of pusher:*
// events parsed from a string, and the byte-for-byte frames the server writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeInbound,
  encodeAppEvent,
  encodeSpecEvent,
  objectData,
  pusherError,
} from '../../src/protocol/messages.ts';
import { fatal, PusherError, subscriptionError, warn } from '../../src/protocol/errors.ts';

/** A non-fatal PusherError with no code and this exact message. */
const refused = (message: string) => (err: unknown) => {
  assert.ok(err instanceof PusherError);
  assert.deepEqual([err.message, err.code, err.close, err.channel], [message, null, false, undefined]);
  return true;
};

test('decodeInbound refuses what is not a Pusher message, each with its own message', () => {
  const cases: Array<[string, string]> = [
    ['{"event":', 'Invalid JSON: message must be a JSON object'],
    ['null', 'Invalid message: expected a JSON object with an "event"'],
    ['"text"', 'Invalid message: expected a JSON object with an "event"'],
    ['[{"event":"x"}]', 'Invalid message: expected a JSON object with an "event"'],
    ['{"data":{}}', 'Invalid message: "event" must be a non-empty string'],
    ['{"event":""}', 'Invalid message: "event" must be a non-empty string'],
    ['{"event":5}', 'Invalid message: "event" must be a non-empty string'],
    ['{"event":"e","channel":5}', 'Invalid message: "channel" must be a string'],
    ['{"event":"pusher:subscribe","data":"{nope"}', 'Invalid message: "data" of pusher:subscribe is not JSON'],
  ];
  for (const [text, message] of cases) assert.throws(() => decodeInbound(text), refused(message), text);
});

test('decodeInbound: pusher:* data given as a JSON string is parsed; other events keep it as sent', () => {
  const sub = decodeInbound('{"event":"pusher:subscribe","data":"{\\"channel\\":\\"c\\"}"}');
  assert.deepEqual(sub.data, { channel: 'c' });
  assert.equal(decodeInbound('{"event":"pusher:ping","data":""}').data, '', 'an empty string stays');
  assert.equal(decodeInbound('{"event":"client-x","data":"{\\"a\\":1}"}').data, '{"a":1}');
  assert.equal(decodeInbound('{"event":"xpusher:x","data":"{nope"}').data, '{nope');
  const text = '{"event":"client-x","channel":"private-c","data":{"a":1},"persist":true}';
  const m = decodeInbound(text);
  assert.deepEqual(
    { event: m.event, channel: m.channel, data: m.data, persist: m.persist, text: m.text },
    { event: 'client-x', channel: 'private-c', data: { a: 1 }, persist: true, text },
  );
  assert.equal(decodeInbound('{"event":"e","persist":"yes"}').persist, undefined, 'only a boolean counts');
  assert.equal(decodeInbound('{"event":"e","persist":false}').persist, false);
});

test('objectData accepts a plain object only', () => {
  const msg = (data: unknown) => ({ event: 'pusher:subscribe', data, text: '' });
  assert.deepEqual(objectData(msg({ channel: 'c' })), { channel: 'c' });
  for (const bad of [null, undefined, 'x', 3, ['c']])
    assert.throws(
      () => objectData(msg(bad)),
      refused('Invalid message: pusher:subscribe needs "data" as an object'),
      String(bad),
    );
});

test('encodeSpecEvent and pusherError: data is always a JSON string, channel only when given', () => {
  assert.equal(encodeSpecEvent('pusher:pong', undefined), '{"event":"pusher:pong","data":"{}"}');
  assert.equal(encodeSpecEvent('pusher:pong', null), '{"event":"pusher:pong","data":"{}"}');
  assert.equal(encodeSpecEvent('e', { a: '"' }), '{"event":"e","data":"{\\"a\\":\\"\\\\\\"\\"}"}');
  assert.equal(
    encodeSpecEvent('pusher_internal:subscription_succeeded', {}, 'c"1'),
    '{"event":"pusher_internal:subscription_succeeded","channel":"c\\"1","data":"{}"}',
  );
  assert.equal(pusherError('bad', 4001), '{"event":"pusher:error","data":"{\\"message\\":\\"bad\\",\\"code\\":4001}"}');
  assert.equal(pusherError('x', null), '{"event":"pusher:error","data":"{\\"message\\":\\"x\\",\\"code\\":null}"}');
});

test('encodeAppEvent: from data or from data already encoded, the same frame', () => {
  const base = { event: 'e', channel: 'c' };
  assert.equal(encodeAppEvent({ ...base, data: 'x' }), '{"event":"e","channel":"c","data":"x"}');
  assert.equal(encodeAppEvent({ ...base }), '{"event":"e","channel":"c","data":null}');
  const full = { ...base, userId: 'u', mid: 'm1', timestamp: 5 };
  const expected = '{"event":"e","channel":"c","data":{"a":1},"user_id":"u","mid":"m1","timestamp":5}';
  assert.equal(encodeAppEvent({ ...full, data: { a: 1 } }), expected);
  assert.equal(encodeAppEvent({ ...full, dataJson: '{"a":1}' }), expected);
  assert.equal(encodeAppEvent({ ...base, dataJson: '"x"' }), '{"event":"e","channel":"c","data":"x"}');
  assert.equal(
    encodeAppEvent({ ...base, dataJson: '1', userId: 'u' }),
    '{"event":"e","channel":"c","data":1,"user_id":"u"}',
  );
});

test('errors: fatal closes, warn does not, subscriptionError names its channel', () => {
  const f = fatal(4001, 'gone');
  assert.deepEqual([f.message, f.code, f.close, f.channel], ['gone', 4001, true, undefined]);
  const w = warn(4301, 'slow down');
  assert.deepEqual([w.message, w.code, w.close, w.channel], ['slow down', 4301, false, undefined]);
  const s = subscriptionError('private-c', null, 'bad auth');
  assert.deepEqual([s.message, s.code, s.close, s.channel], ['bad auth', null, false, 'private-c']);
  assert.equal(new PusherError('m', 1).close, false, 'not closing unless asked');
});
