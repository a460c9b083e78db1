// Socket ids keep the shape the Pusher SDKs validate and do not repeat; random hex comes from a
// pooled CSPRNG and stays fresh across many pool refills.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSocketId, randomHex } from '../../src/protocol/ids.ts';

test('socket ids look like 123.456, stay within 1 .. 2^47 and do not repeat', () => {
  const halves = new Set<string>();
  const n = 10_000;
  for (let i = 0; i < n; i++) {
    const id = newSocketId();
    assert.match(id, /^\d+\.\d+$/);
    for (const half of id.split('.')) {
      const v = Number(half);
      assert.ok(Number.isSafeInteger(v) && v >= 1 && v <= 2 ** 47, id);
      halves.add(half);
    }
  }
  assert.equal(halves.size, 2 * n);
});

test('randomHex gives the length asked for and fresh bytes across pool refills', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const hex = randomHex(6); // 6 of the pool's 4096 bytes: ~4 refills
    assert.match(hex, /^[0-9a-f]{12}$/);
    seen.add(hex);
  }
  assert.equal(seen.size, 3000);
  assert.match(randomHex(5000), /^[0-9a-f]{10000}$/); // larger than the pool: drawn directly
});
