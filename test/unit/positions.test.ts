// Channel positions on exact values: the bytes withPosition splices into a frame, and what
// parseSince makes of every shape of `recover` a client may send (a malformed one is INVALID,
// never an error; an absent one is undefined).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INVALID, parseSince, withPosition } from '../../src/protocol/positions.ts';

test('withPosition: epoch and offset spliced before the closing brace, exactly', () => {
  const frame = Buffer.from('{"event":"e","channel":"c","data":"{}"}');
  const out = withPosition(frame, '1k2j3h', 42);
  assert.equal(out.toString(), '{"event":"e","channel":"c","data":"{}","epoch":"1k2j3h","offset":42}');
  assert.deepEqual(JSON.parse(out.toString()), { event: 'e', channel: 'c', data: '{}', epoch: '1k2j3h', offset: 42 });
  assert.equal(frame.toString(), '{"event":"e","channel":"c","data":"{}"}', 'the frame it was given is unchanged');
  assert.equal(withPosition(Buffer.from('{"a":1}'), '0', 0).toString(), '{"a":1,"epoch":"0","offset":0}');
  const big = Number.MAX_SAFE_INTEGER;
  assert.equal(withPosition(Buffer.from('{"a":1}'), 'z', big).toString(), `{"a":1,"epoch":"z","offset":${big}}`);
});

test('withPosition: multibyte text before the brace is kept byte for byte', () => {
  const frame = Buffer.from('{"data":"héllo ✓"}');
  const out = withPosition(frame, 'e1', 7);
  assert.equal(out.toString(), '{"data":"héllo ✓","epoch":"e1","offset":7}');
  assert.equal(out.length, frame.length + ',"epoch":"e1","offset":7'.length);
});

test('withPosition: the result owns its memory (not a slice of the shared pool)', () => {
  const out = withPosition(Buffer.from('{"a":1}'), 'e', 1);
  assert.equal(out.byteOffset, 0);
  assert.equal(out.buffer.byteLength, out.length);
});

test('withPosition: a frame that does not end in } goes out as it came (the same buffer)', () => {
  for (const text of ['', '}', '{"a":1} ', '{"a":1]', '[1]', 'x']) {
    const frame = Buffer.from(text);
    assert.equal(withPosition(frame, 'e', 1), frame, JSON.stringify(text));
  }
});

test('parseSince: absent recover is undefined', () => {
  assert.equal(parseSince(undefined), undefined);
  assert.equal(parseSince(null), undefined);
});

test('parseSince: a valid position, with and without the previous socket id', () => {
  assert.deepEqual(parseSince({ epoch: 'abc123', offset: 5 }), { epoch: 'abc123', offset: 5, socketId: undefined });
  assert.deepEqual(parseSince({ epoch: '0', offset: 0, socket_id: '123.456' }), {
    epoch: '0',
    offset: 0,
    socketId: '123.456',
  });
  // Other fields are not carried over.
  assert.deepEqual(parseSince({ epoch: 'e', offset: 1, socketId: 'x', extra: true }), {
    epoch: 'e',
    offset: 1,
    socketId: undefined,
  });
  const max = Number.MAX_SAFE_INTEGER;
  assert.deepEqual(parseSince({ epoch: 'e', offset: max }), { epoch: 'e', offset: max, socketId: undefined });
});

test('parseSince: the epoch is 1 to 32 characters of lowercase base-36', () => {
  const ok = ['a', '0', 'z9', '0123456789abcdefghijklmnopqrstuv', 'a'.repeat(32)];
  for (const epoch of ok) assert.equal(parseSince({ epoch, offset: 1 })?.epoch, epoch, epoch);
  const bad = ['', 'a'.repeat(33), 'A', 'abC', '-', 'a-b', '-ab', 'ab-', 'a b', ' a', 'a ', 'é', 'ab\n', '\nab', '_'];
  for (const epoch of bad) assert.equal(parseSince({ epoch, offset: 1 }), INVALID, JSON.stringify(epoch));
  for (const epoch of [5, null, undefined, ['a'], { a: 1 }, true]) {
    assert.equal(parseSince({ epoch, offset: 1 }), INVALID, String(epoch));
  }
});

test('parseSince: the offset is a non-negative safe integer', () => {
  assert.equal(parseSince({ epoch: 'e', offset: 0 })?.offset, 0);
  const bad = [
    -1,
    -0.5,
    1.5,
    Number.MAX_SAFE_INTEGER + 1,
    2 ** 64,
    NaN,
    Infinity,
    -Infinity,
    '5',
    null,
    undefined,
    [1],
  ];
  for (const offset of bad) assert.equal(parseSince({ epoch: 'e', offset }), INVALID, String(offset));
});

test('parseSince: socket_id is kept up to 64 characters and when it is a string', () => {
  const at = (socket_id: unknown) => parseSince({ epoch: 'e', offset: 3, socket_id });
  assert.equal(at('1'.repeat(64))?.socketId, '1'.repeat(64));
  assert.equal(at('')?.socketId, '');
  // Too long or not a string: the position still counts, without the socket id.
  for (const socketId of ['1'.repeat(65), 123.456, null, { a: 1 }, ['1.2']]) {
    assert.deepEqual(at(socketId), { epoch: 'e', offset: 3, socketId: undefined }, String(socketId));
  }
});

test('parseSince: anything but an object is INVALID, never an error', () => {
  const bad: unknown[] = ['e', 5, 0, false, true, [], ['e', 1], {}, Object.assign(() => {}, { epoch: 'e', offset: 1 })];
  for (const value of bad) assert.equal(parseSince(value), INVALID, String(value));
});

test('INVALID matches no epoch and cannot be changed', () => {
  assert.deepEqual({ ...INVALID }, { epoch: '-', offset: -1 });
  assert.ok(Object.isFrozen(INVALID));
  assert.equal(parseSince({ epoch: INVALID.epoch, offset: 0 }), INVALID, 'its epoch is not a valid one');
});
