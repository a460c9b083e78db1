// A 10 s and a 60 s network cut while 500 events/s go to 50 channels: the Pushi client and pusher-js
// with pushi/pusher-js lose nothing, see nothing twice and keep each channel's order when the server
// still holds the gap; when the app's recovery window is shorter than the cut, every resume says
// so (recovery_failed) and the clients still see nothing twice or out of order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type ContinuityReport, runContinuity } from './continuity.ts';

const load = { channels: 50, rate: 500, cutSeconds: 10 };

/** Every client got every event once, in order, and every channel's resume said recovered. */
function assertAllRecovered(report: ContinuityReport): void {
  for (const c of report.clients) {
    assert.deepEqual(
      { name: c.name, lost: c.lost, duplicated: c.duplicated, outOfOrder: c.outOfOrder, recovered: c.recovered },
      { name: c.name, lost: 0, duplicated: 0, outOfOrder: 0, recovered: load.channels },
    );
    assert.equal(c.recoveryFailed, 0);
  }
}

test('a 10 s cut within the recovery window: 0 lost, 0 duplicated, in order, every channel recovered', async () => {
  const report = await runContinuity(load);
  assert.ok(report.published >= 4000, `published ${report.published}`);
  assertAllRecovered(report);
});

test('a 10 s cut, 5 s recovery window: every resume says recovery_failed, nothing twice or reordered', async () => {
  const report = await runContinuity({ ...load, recoveryWindowSeconds: 5 });
  for (const c of report.clients) {
    assert.deepEqual(
      {
        name: c.name,
        recoveryFailed: c.recoveryFailed,
        silentlyLost: c.silentlyLost,
        duplicated: c.duplicated,
        outOfOrder: c.outOfOrder,
      },
      { name: c.name, recoveryFailed: load.channels, silentlyLost: 0, duplicated: 0, outOfOrder: 0 },
    );
    assert.equal(c.recovered, 0);
    assert.ok(c.lost > 0, `${c.name} missed the cut's events (${c.lost})`);
  }
});

test(
  'a 60 s cut within the recovery window: 0 lost, 0 duplicated, in order, every channel recovered',
  { timeout: 300_000 },
  async () => {
    // pusher-js comes back 106 s after the drop (its attempts: 1, 16, 46, 106 s; later on a busy
    // machine): a gap of 1060 events per channel at this load, past the default 500 kept. Kept here:
    // 2000 events and 300 s, room for a gap of 200 s.
    const history = { recoveryMaxEvents: 2000, recoveryWindowSeconds: 300 };
    const report = await runContinuity({ ...load, cutSeconds: 60, ...history, settleSeconds: 120 });
    assert.ok(report.published >= 30_000, `published ${report.published}`);
    assertAllRecovered(report);
  },
);
