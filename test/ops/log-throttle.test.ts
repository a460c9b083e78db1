// The throttle behind "store error" and "connection rejected": one line per key per interval, and
// the next line that passes says how many were held back. The clock is the test's, so the interval
// is exact without waiting for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logThrottle } from '../../src/metrics/log-throttle.ts';

test('one line per key per interval; the next one carries the count held back for that key', () => {
  let now = 1_000;
  const pass = logThrottle<string>(5000, () => now);
  assert.equal(pass('apps.get'), 0, 'the first line passes');
  assert.equal(pass('apps.get'), undefined);
  assert.equal(pass('apps.get'), undefined);
  assert.equal(pass('apps.create'), 0, 'another key has its own interval');
  now += 4_999;
  assert.equal(pass('apps.get'), undefined, 'still inside the interval');
  now += 1;
  assert.equal(pass('apps.get'), 3, 'the interval is over: the three held back are counted');
  assert.equal(pass('apps.get'), undefined, 'and a new interval starts');
  assert.equal(pass('apps.create'), 0, 'nothing was held back for the other key');
});
