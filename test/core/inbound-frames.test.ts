// wholeTextFrame: which client frames the inbound fast path takes, and that it leaves the rest
// byte for byte as they came (ws reads them next and answers with the protocol's close codes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wholeTextFrame } from '../../src/transport/inbound-fast-path.ts';
import { clientFrame } from '../helpers/frames.ts';

test('a whole masked text frame is unmasked in place: short, 16-bit length, multibyte, empty', () => {
  for (const text of ['{"event":"pusher:ping","data":{}}', 'x'.repeat(300), '{"data":"é€😀"}', '']) {
    const payload = wholeTextFrame(clientFrame(text), 10_000);
    assert.ok(payload, `taken: ${text.slice(0, 20)}`);
    assert.equal(payload.toString(), text);
  }
});

test('anything else is left to ws, unchanged', () => {
  const cases: Array<[string, Buffer, number]> = [
    ['binary', clientFrame('{}', { opcode: 2 }), 0],
    ['first fragment', clientFrame('{"a":', { fin: false }), 0],
    ['continuation', clientFrame('1}', { opcode: 0 }), 0],
    ['ping', clientFrame('', { opcode: 9 }), 0],
    ['unmasked', clientFrame('{}', { masked: false }), 0],
    ['over the limit', clientFrame('y'.repeat(101)), 100],
    ['64-bit length', clientFrame('z'.repeat(70_000)), 0],
    ['invalid UTF-8', clientFrame(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 0],
    ['two frames in one read', Buffer.concat([clientFrame('{}'), clientFrame('{}')]), 0],
    ['part of a frame', clientFrame('{"event":"x"}').subarray(0, 9), 0],
    ['part of a header', clientFrame('w'.repeat(200)).subarray(0, 7), 0],
  ];
  for (const [name, chunk, limit] of cases) {
    const before = Buffer.from(chunk);
    assert.equal(wholeTextFrame(chunk, limit), undefined, name);
    assert.deepEqual(chunk, before, `${name}: bytes untouched`);
  }
});

test('the limit is inclusive and 0 means none', () => {
  assert.equal(wholeTextFrame(clientFrame('y'.repeat(100)), 100)?.length, 100);
  assert.equal(wholeTextFrame(clientFrame('y'.repeat(5000)), 0)?.length, 5000);
});
