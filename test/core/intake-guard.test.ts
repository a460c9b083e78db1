// The connection cap of a `--workers` worker: set, or derived from the process's open-file limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openFileLimit, workerConnectionCap } from '../../src/transport/intake-guard.ts';

const limits = (soft: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \n` +
  `Max processes             unlimited            unlimited            processes \n` +
  `Max open files            ${soft.padEnd(20)} 20000                files     \n`;

test('the open-file limit is read from /proc/self/limits; unlimited or unreadable gives none', () => {
  assert.equal(
    openFileLimit(() => limits('20000')),
    20000,
  );
  assert.equal(
    openFileLimit(() => limits('unlimited')),
    undefined,
  );
  assert.equal(
    openFileLimit(() => {
      throw new Error('no /proc here');
    }),
    undefined,
  );
  assert.ok((openFileLimit() ?? 1) > 0); // this machine's, whatever it is
});

test('a worker takes the configured cap, else its file limit less a reserve for the rest', () => {
  assert.equal(
    workerConnectionCap(7, () => limits('20000')),
    7,
  );
  assert.equal(
    workerConnectionCap(0, () => limits('20000')),
    19500,
  );
  assert.equal(
    workerConnectionCap(0, () => limits('600')),
    300,
    'a small limit keeps half for sockets',
  );
  assert.equal(
    workerConnectionCap(0, () => limits('unlimited')),
    undefined,
  );
});
