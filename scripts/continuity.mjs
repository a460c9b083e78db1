#!/usr/bin/env node
// Delivery continuity under a long network cut (run through tsx: `npm run continuity`). The Pushi
// client and pusher-js with pushi/pusher-js subscribe to N channels through a TCP proxy; numbered
// events are triggered over HTTP at a steady rate; the proxy drops every client connection and
// refuses new ones for --cut seconds, then lets them back. Prints, per client, the events lost,
// duplicated and out of order, and how many channel resumes the server answered recovered: true / false.
// Exits 1 when a client lost events it was not told about (no recovery_failed), or saw any twice or out of order.
//
//   npm run continuity -- [--cut 60] [--rate 500] [--channels 50] [--window 120] [--max-events 2000] [--json]
//
// The server keeps at most recoveryMaxEvents per channel (the app default is 500): a gap of G seconds at
// R events/s over N channels needs G × R / N of them. The gap is the cut plus the client's wait for its
// next attempt: pusher-js tries 1, 16, 46, 106 s after the drop (then every 60 s), so a 60 s cut is a
// 106 s gap for it, 1060 events per channel at the default rate: hence --max-events 2000.
import { parseArgs } from 'node:util';
import { runContinuity } from '../test/recovery/continuity.ts';

const { values: v } = parseArgs({
  options: {
    cut: { type: 'string', default: '60' },
    rate: { type: 'string', default: '500' },
    channels: { type: 'string', default: '50' },
    window: { type: 'string', default: '120' },
    'max-events': { type: 'string', default: '2000' },
    json: { type: 'boolean', default: false },
  },
});
const options = {
  cutSeconds: Number(v.cut),
  rate: Number(v.rate),
  channels: Number(v.channels),
  recoveryWindowSeconds: Number(v.window),
  recoveryMaxEvents: Number(v['max-events']),
  settleSeconds: 120,
};
for (const [k, n] of Object.entries(options))
  if (!Number.isFinite(n) || n < 0) {
    console.error(`continuity: ${k} must be a non-negative number`);
    process.exit(2);
  }

const report = await runContinuity(options);
if (v.json) {
  console.log(JSON.stringify({ options, ...report }, null, 2));
} else {
  console.log(
    `cut ${(report.cutMs / 1000).toFixed(1)} s; ${report.published} events published at ${report.rate}/s over ` +
      `${options.channels} channels; app recoveryWindowSeconds ${options.recoveryWindowSeconds}, ` +
      `recoveryMaxEvents ${options.recoveryMaxEvents}`,
  );
  console.table(
    report.clients.map((c) => ({
      client: c.name,
      received: c.received,
      lost: c.lost,
      'lost untold': c.silentlyLost,
      duplicated: c.duplicated,
      'out of order': c.outOfOrder,
      recovered: c.recovered,
      'recovery failed': c.recoveryFailed,
      'all resumed after (ms)': c.resumedAfterMs,
    })),
  );
}
// Losses the app is told about (recovery_failed) are the expected outcome of a gap too old to serve.
const ok = report.clients.every((c) => c.silentlyLost === 0 && c.duplicated === 0 && c.outOfOrder === 0);
process.exit(ok ? 0 : 1);
