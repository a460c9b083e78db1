// Load-generator child process for recovery-reconnect (bench/lib/recovery-reconnect.mjs): holds a
// slice of clients, each on channel rec-<i mod channels>, that remember the last position they
// received and come back with it. Controlled over IPC; each command answers with one message.
import { connect, subscribe, subscribedData } from './pusher-socket.mjs';

let server = null;
let clients = [];

/** Opens every client's connection (at most `concurrency` handshakes at once) and subscribes it. */
function connectAll(recover, concurrency) {
  return new Promise((done) => {
    let next = 0;
    let settled = 0;
    let failed = 0;
    let firstError = null;
    const finish = (error) => {
      if (error) {
        failed++;
        firstError ??= error;
      }
      if (++settled === clients.length) done({ failed, firstError });
    };
    const open = () => {
      if (next >= clients.length) return;
      const c = clients[next++];
      c.since = recover ? { ...c.pos, socket_id: c.socketId } : undefined;
      c.replay = [];
      c.live = [];
      c.sub = null;
      c.subscribed = finish;
      connect(server, (m) => onFrame(c, m)).then(
        ({ ws, socketId }) => {
          c.ws = ws;
          c.socketId = socketId;
          subscribe(ws, c.channel, c.since);
          open();
        },
        (e) => {
          finish(String(e));
          open();
        },
      );
    };
    for (let k = 0; k < concurrency; k++) open();
  });
}

function onFrame(c, m) {
  if (m.event === 'pusher_internal:subscription_succeeded') {
    c.sub = subscribedData(m);
    c.pos = { epoch: c.sub.epoch, offset: c.sub.offset };
    c.subscribed();
  } else if (m.epoch !== undefined) {
    (c.sub ? c.live : c.replay).push(m);
    c.pos = { epoch: m.epoch, offset: m.offset };
  } else if (m.event === 'pusher:error' || m.event === 'socket-error' || m.event === 'pusher:subscription_error') {
    c.sub ??= { error: JSON.stringify(m) };
    c.subscribed?.(JSON.stringify(m));
    c.subscribed = () => {};
  }
}

/** Resolves once every client has received `n` events since it subscribed. */
function waitLive(n) {
  return new Promise((resolve) => {
    const check = () => (clients.every((c) => c.live.length >= n) ? resolve() : setTimeout(check, 20));
    check();
  });
}

/**
 * Every client got exactly what it should have in the last connect: after `recover`, the `missed`
 * sequence numbers in order at the offsets after its position, then `recovered: true` at the last
 * of them; fresh, nothing replayed and the channel's position in subscription_succeeded.
 */
function verify(recover, missed, lastOffset) {
  const bad = {};
  let firstBad = null;
  const fail = (c, why) => {
    bad[why] = (bad[why] ?? 0) + 1;
    firstBad ??= `${c.channel}: ${why}`;
  };
  for (const c of clients) {
    const s = c.sub ?? {};
    if (s.error) fail(c, `error ${s.error}`);
    else if (recover) {
      if (s.recovered !== true) fail(c, `recovered: ${s.recovered}`);
      else if (c.replay.length !== missed.length) fail(c, `replayed ${c.replay.length} of ${missed.length}`);
      else if (c.replay.some((m, i) => m.epoch !== c.since.epoch || m.offset !== c.since.offset + 1 + i))
        fail(c, 'replayed positions not consecutive after the position');
      else if (c.replay.some((m, i) => m.seq !== missed[i])) fail(c, 'replayed events not the missed ones');
      else if (s.epoch !== c.since.epoch || s.offset !== c.since.offset + missed.length)
        fail(c, 'position after recovery');
    } else if (s.recovered !== undefined || c.replay.length) fail(c, 'fresh subscribe replayed');
    else if (s.offset !== lastOffset) fail(c, `fresh position ${s.offset} != ${lastOffset}`);
    if (c.live.length) fail(c, `${c.live.length} events after subscription_succeeded`);
  }
  return { ok: clients.length - Object.values(bad).reduce((x, y) => x + y, 0), bad, firstBad };
}

process.on('message', async (m) => {
  switch (m.cmd) {
    case 'init':
      server = m.server;
      clients = Array.from({ length: m.count }, (_, k) => ({ channel: `rec-${(m.first + k) % m.channels}` }));
      process.send({ type: 'init' });
      break;
    case 'connect':
      process.send({ type: 'connect', ...(await connectAll(m.recover, m.concurrency)) });
      break;
    case 'live':
      await waitLive(m.n);
      process.send({ type: 'live' });
      break;
    case 'verify':
      process.send({ type: 'verify', ...verify(m.recover, m.missed, m.lastOffset) });
      break;
    case 'close':
      for (const c of clients) c.ws?.terminate();
      process.send({ type: 'close' });
      break;
    default:
      break;
  }
});
process.on('disconnect', () => process.exit(0));
