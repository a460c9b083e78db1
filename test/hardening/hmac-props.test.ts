// Property test of src/protocol/hmac.ts: hmacHex gives createHmac's bytes for any secret and
// message, including keys longer than a SHA-256 block, non-ASCII and lone surrogates, messages too
// long for its buffer, and calls that switch between secrets (its padded key is kept per secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { hmacHex } from '../../src/protocol/hmac.ts';
import { SEED } from './arbitraries.ts';

const reference = (secret: string, message: string) => createHmac('sha256', secret).update(message).digest('hex');

const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }), // any code point, lone surrogates included
    fc.string({ unit: 'grapheme', maxLength }),
  );

test('hmacHex matches createHmac for any secret and message, across secret switches', () => {
  const call = fc.record({ secret: text(150), message: fc.oneof(text(400), fc.constant('')) });
  fc.assert(
    fc.property(fc.array(call, { minLength: 1, maxLength: 6 }), (calls) => {
      for (const { secret, message } of calls) assert.equal(hmacHex(secret, message), reference(secret, message));
    }),
    { seed: SEED, numRuns: 800 },
  );
});

test('hmacHex matches createHmac at and around its buffer size (16 KiB) and past it', () => {
  const secret = 'app-secret';
  const limit = 16 * 1024;
  const cases = [
    'a'.repeat(limit - 1),
    'a'.repeat(limit),
    'a'.repeat(limit + 1), // over: the createHmac path
    'é'.repeat(limit / 2), // 2 bytes a character: exactly the limit
    'é'.repeat(limit / 2 + 1),
    '€'.repeat(Math.floor(limit / 3)), // 3 bytes a character: the length check alone would refuse it
    '😀'.repeat(limit / 4 + 1),
    'x'.repeat(200_000),
  ];
  for (const message of cases)
    assert.equal(hmacHex(secret, message), reference(secret, message), `message of ${message.length} chars`);
  // A short message after a long one: nothing of the long one's bytes may be signed with it.
  assert.equal(hmacHex(secret, 'short'), reference(secret, 'short'));
});

test('hmacHex: RFC 4231 test case 2, and a key longer than a block (hashed first)', () => {
  assert.equal(
    hmacHex('Jefe', 'what do ya want for nothing?'),
    '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
  );
  const longKey = 'k'.repeat(131);
  assert.equal(hmacHex(longKey, 'message'), reference(longKey, 'message'));
});

test('hmacHex stays right past its bound on remembered secrets (rotation)', () => {
  const secrets = Array.from({ length: 600 }, (_, i) => `secret-${i}`);
  for (const secret of [...secrets, ...secrets.slice(0, 10)])
    assert.equal(hmacHex(secret, 'm'), reference(secret, 'm'));
});
