// Socket ids and random hex come from one pooled CSPRNG: across many pool refills they keep their
// shape and never repeat (a draw that read the pool it had just replaced would repeat earlier bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newSocketId, randomHex } from '../../src/protocol/ids.ts';

test('socket ids look like 123.456, stay within 1 .. 2^47 and do not repeat across pool refills', () => {
  const halves = new Set<string>();
  const n = 10_000; // 12 bytes each: ~30 refills of the 4 KB pool
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

test('randomHex gives the length asked for and fresh bytes, mixed with socket ids on one pool', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const hex = randomHex(6);
    assert.match(hex, /^[0-9a-f]{12}$/);
    seen.add(hex);
    newSocketId();
  }
  assert.equal(seen.size, 3000);
  assert.match(randomHex(5000), /^[0-9a-f]{10000}$/); // larger than the pool: drawn directly
});
