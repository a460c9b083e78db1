// The slow-consumer phase of scripts/faults.mjs: a client stops reading while events flood its
// channels; past the server's send-buffer bound it is cut off, then reads again slowly (a poor
// link, ~1.6 MB/s). It must see close code 4100 (back off, then reconnect) within 5 s of the cut,
// not an abnormal close when the close handshake times out; other clients keep receiving.
import { join } from 'node:path';
import { startLiveServer } from '../test/hardening/live-server.ts';
import { api, readSlowly } from '../test/hardening/fault-kit.ts';
import { RawClient } from '../test/helpers/raw-client.ts';

const WITHIN_MS = 5000;

export async function slowConsumerPhase(ctx) {
  const { APP } = ctx;
  const s = await startLiveServer({
    env: { PUSHI_APPS_FILE: ctx.appsFile, PUSHI_DB: join(ctx.dir, 'slow.db') },
    expectedErrors: ctx.EXPECTED,
  });
  const r = { phase: 'slow-consumer', checks: {}, details: {} };
  try {
    const channels = Array.from({ length: 100 }, (_, i) => `slow-${i}`);
    const slow = await RawClient.established(s.wsUrl(APP.key));
    for (const ch of channels) await slow.subscribe(ch);
    const other = await RawClient.established(s.wsUrl(APP.key));
    await other.subscribe('slow-0');
    const sock = slow.ws._socket;
    sock.pause();
    let closedAt = 0;
    slow.ws.once('close', () => (closedAt = Date.now()));
    // ~27 MB meant for the paused client, far past the bound plus what the kernel buffers: the
    // cut happens during the flood (the server cannot tell this script when), so the time to 4100
    // is measured from the flood's end: an upper bound.
    const data = 'x'.repeat(9000);
    const triggers = 30;
    for (let i = 0; i < triggers; i++) {
      const res = await api(s, APP, 'POST', `/apps/${APP.id}/events`, {
        body: { name: 'flood', channels, data, persist: false },
      });
      if (res.status !== 200) throw new Error(`flood trigger answered ${res.status}: ${JSON.stringify(res.body)}`);
    }
    const cut = Date.now();
    const stop = readSlowly(sock, 40);
    const code = await slow.waitClose(60_000).catch(() => undefined);
    stop();
    r.details.floodTriggers = triggers;
    r.details.eventsReadBeforeClose = slow.events('flood').length;
    r.details.closeCode = code;
    r.details.closeSeenAfterCutMs = closedAt ? closedAt - cut : undefined;
    r.checks.closedWith4100 = code === 4100;
    r.checks.closeSeenWithin5s = closedAt > 0 && closedAt - cut <= WITHIN_MS;
    const after = await api(s, APP, 'POST', `/apps/${APP.id}/events`, {
      body: { name: 'after', channel: 'slow-0', data: '1', persist: false },
    });
    r.checks.othersKeepReceiving =
      after.status === 200 &&
      (await other
        .waitFor((f) => f.event === 'after', 30_000)
        .then(
          () => true,
          () => false,
        ));
    other.close();
  } catch (err) {
    r.checks.ran = false;
    r.details.error = err.stack ?? String(err);
  } finally {
    r.checks.noCrashNoUnexpectedError = s.problems().length === 0;
    if (s.problems().length) r.details.problems = s.problems().slice(0, 10);
    await s.stop('SIGTERM');
  }
  return r;
}
