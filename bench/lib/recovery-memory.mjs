// recovery-memory: what channels' recent history costs at the default app options. Fills `channels`
// channels with `events` events each (no subscriber: history is kept all the same), evenly
// interleaved so that the process-wide byte cap evicts from every channel alike, and compares the
// server's live memory (after a full GC, through the inspector) and RSS before and after. Then it
// asks the server, through `recover`, how many events each of a sample of channels still keeps:
// what the cap did is read off the wire, not inferred.
import { ENTRY_OVERHEAD } from '../../dist/cluster/streams.js';
import { Publisher, makePayload, nowMs } from '../harness/lib/pusher.mjs';
import { inspectFlag, liveMemory } from './inspect-memory.mjs';
import { freePort } from './ports.mjs';
import { connect, subscribe, subscribedData, unsubscribe } from './pusher-socket.mjs';
import { cpuMs, rssKb, sleep, startServer } from './server-proc.mjs';

const PER_TRIGGER = 100; // the app's maxChannelsPerTrigger
const SAMPLES = 10;

/** Publishes event e to every channel, e = 0 … events-1, `concurrency` requests in flight. */
async function fill(pub, names, events, payload, concurrency) {
  const jobs = [];
  for (let e = 0; e < events; e++)
    for (let i = 0; i < names.length; i += PER_TRIGGER) jobs.push([e, names.slice(i, i + PER_TRIGGER)]);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [e, chs] = jobs[next++];
      await pub.trigger(chs, 'kept', makePayload(e, payload));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return jobs.length;
}

/** A probe connection: subscribe (optionally with `recover`), collect frames until subscription_succeeded. */
function prober(server) {
  let waiting = null;
  let frames = [];
  const onFrame = (m) => {
    if (m.event === 'pusher_internal:subscription_succeeded') {
      const w = waiting;
      waiting = null;
      w({ data: subscribedData(m), frames });
      frames = [];
    } else if (m.event === 'kept') frames.push(m);
    else if (m.event === 'pusher:error' || m.event === 'socket-error') waiting?.({ error: JSON.stringify(m) });
  };
  return connect(server, onFrame).then(({ ws }) => ({
    ws,
    async probe(channel, recover) {
      const got = new Promise((r) => (waiting = r));
      subscribe(ws, channel, recover);
      const r = await got;
      unsubscribe(ws, channel);
      if (r.error) throw new Error(r.error);
      return r;
    },
  }));
}

/**
 * Kept events of one channel: the lowest offset o from which `recover` is still served (binary
 * search), checked by the number of frames replayed from there.
 */
async function keptOf(p, channel) {
  const { data } = await p.probe(channel);
  const { epoch, offset: last } = data;
  let lo = 0;
  let hi = last; // recovering from `last` always works: nothing to replay
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = await p.probe(channel, { epoch, offset: mid });
    if (r.data.recovered) hi = mid;
    else lo = mid + 1;
  }
  const r = await p.probe(channel, { epoch, offset: lo });
  const kept = last - lo;
  if (!r.data.recovered || r.frames.length !== kept) throw new Error(`${channel}: ${r.frames.length} != ${kept}`);
  return { last, kept, frameBytes: r.frames.at(-1)?.bytes ?? 0 };
}

export async function runRecoveryMemory(target, { creds, channels, events, payload, maxBytes }) {
  const res = { scenario: 'recovery-memory', target: target.name, params: { channels, events, payload, maxBytes } };
  const inspectPort = await freePort();
  let server = null;
  try {
    server = await startServer(target, [inspectFlag(inspectPort)]);
    const before = await liveMemory(inspectPort);
    const rssBefore = rssKb(server.pid);
    const pub = new Publisher({
      host: '127.0.0.1',
      port: target.port,
      appId: creds.id,
      key: creds.key,
      secret: creds.secret,
    });
    const names = Array.from({ length: channels }, (_, i) => `mem-${i}`);
    const cpu0 = cpuMs(server.pid);
    const t0 = nowMs();
    const requests = await fill(pub, names, events, payload, 8);
    const fillMs = nowMs() - t0;
    const fillCpuMs = cpuMs(server.pid) - cpu0;
    pub.close();
    if (pub.failed) throw new Error(`${pub.failed} of ${requests} triggers failed: ${pub.lastError}`);
    await sleep(1000); // let the last writes and timers settle before the GC
    const after = await liveMemory(inspectPort);
    const rssAfter = rssKb(server.pid);

    const p = await prober({ host: '127.0.0.1', port: target.port, key: creds.key });
    const sample = [];
    for (let k = 0; k < SAMPLES; k++) sample.push(await keptOf(p, names[Math.floor((k * channels) / SAMPLES)]));
    p.ws.close();
    if (sample.some((s) => s.last !== events)) throw new Error(`a channel's last offset is not ${events}`);
    const kept = sample.map((s) => s.kept);
    const keptPerChannel = kept.reduce((x, y) => x + y, 0) / kept.length;
    const keptTotal = keptPerChannel * channels;
    const live = (m) => m.heapUsed + m.external;
    const liveDelta = live(after) - live(before);
    const frameBytes = Math.max(...sample.map((s) => s.frameBytes));
    Object.assign(res, {
      requests,
      fillMs: Math.round(fillMs),
      serverCpuUsPerEvent: Math.round((fillCpuMs * 1000) / (channels * events)),
      before: { ...before, rssKb: rssBefore },
      after: { ...after, rssKb: rssAfter },
      liveDeltaBytes: liveDelta,
      heapDeltaBytes: after.heapUsed - before.heapUsed,
      externalDeltaBytes: after.external - before.external,
      rssDeltaBytes: (rssAfter - rssBefore) * 1024,
      keptSample: { min: Math.min(...kept), max: Math.max(...kept), mean: keptPerChannel },
      keptTotal: Math.round(keptTotal),
      keptFraction: keptTotal / (channels * events),
      frameBytes,
      // What the cap counts per kept event (src/cluster/streams.ts: frame bytes + ENTRY_OVERHEAD).
      accountedBytes: Math.round(keptTotal * (frameBytes + ENTRY_OVERHEAD)),
      bytesPerChannel: Math.round(liveDelta / channels),
      bytesPerKeptEvent: keptTotal ? Math.round(liveDelta / keptTotal) : null,
    });
  } catch (e) {
    res.error = String(e?.stack ?? e);
  } finally {
    await server?.stop();
  }
  const MB = (b) => (b / 2 ** 20).toFixed(1);
  const r = res;
  const what = `[recovery-memory] ${channels}×${events} ${payload} B:`;
  console.error(
    r.error
      ? `${what} ERROR ${r.error}`
      : `${what} kept ${r.keptSample.min}–${r.keptSample.max} per channel (${(r.keptFraction * 100).toFixed(1)}%), ` +
          `live +${MB(r.liveDeltaBytes)} MB (heap +${MB(r.heapDeltaBytes)}, buffers +${MB(r.externalDeltaBytes)}), ` +
          `RSS +${MB(r.rssDeltaBytes)} MB, ${r.bytesPerChannel} B/channel, ${r.bytesPerKeptEvent} B/kept event ` +
          `(frame ${r.frameBytes} B), cap counts ${MB(r.accountedBytes)} of ${MB(maxBytes)} MB; fill ${r.fillMs} ms`,
  );
  return res;
}
