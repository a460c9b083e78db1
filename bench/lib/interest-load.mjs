// The load of the cluster interest benchmark (bench/lib/cluster-interest.mjs): subscribers that
// count every event they get by its sequence number, and paced, signed HTTP triggers.
import { Publisher, makePayload } from '../harness/lib/pusher.mjs';
import { connect, subscribe } from './pusher-socket.mjs';

export const creds = { id: 'app-id', key: 'app-key', secret: 'app-secret' };

/** `subs` sockets per channel, node k's on channels [k·per, (k+1)·per), each counting every event by seq. */
export async function subscribeAll(o, nodes) {
  const per = o.channels / o.nodes;
  const sockets = [];
  for (const n of nodes)
    for (let c = n.k * per; c < (n.k + 1) * per; c++)
      for (let s = 0; s < o.subs; s++) sockets.push({ node: n, channel: `interest-${c}`, seen: new Map(), wrong: 0 });
  let next = 0;
  const open = async () => {
    while (next < sockets.length) {
      const s = sockets[next++];
      await new Promise((resolve, reject) => {
        connect({ host: '127.0.0.1', port: s.node.port, key: creds.key }, (m) => {
          if (m.event === 'pusher_internal:subscription_succeeded') return resolve();
          if (m.event === 'pusher:error' || m.event === 'socket-error') return reject(new Error(JSON.stringify(m)));
          if (m.seq === null) return;
          if (m.channel !== s.channel) s.wrong++;
          else s.seen.set(m.seq, (s.seen.get(m.seq) ?? 0) + 1);
        }).then(({ ws }) => {
          s.ws = ws;
          subscribe(ws, s.channel);
        }, reject);
      });
    }
  };
  await Promise.all(Array.from({ length: 100 }, open));
  return sockets;
}

/** rate events/s for duration s, event seq to channel seq mod channels, through the nodes in turn. */
export async function publish(o, nodes) {
  const pubs = nodes.map((n) => new Publisher({ host: '127.0.0.1', port: n.port, ...creds, appId: creds.id }));
  const total = Math.round(o.rate * o.duration);
  const accepted = new Set();
  let sent = 0;
  let inflight = 0;
  const t0 = performance.now();
  await new Promise((done) => {
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * o.rate));
      while (sent < due && inflight < 64) {
        const seq = sent++;
        const node = Math.floor(seq / o.channels) % nodes.length;
        inflight++;
        pubs[node].trigger(`interest-${seq % o.channels}`, 'tick', makePayload(seq, o.payload)).then((status) => {
          inflight--;
          if (status >= 200 && status < 300) accepted.add(seq);
          if (sent === total && inflight === 0) done();
        });
      }
      if (sent < total) setTimeout(tick, 5);
    };
    tick();
  });
  const seconds = (performance.now() - t0) / 1000;
  const errors = pubs.map((p) => p.lastError).filter(Boolean);
  pubs.forEach((p) => p.close());
  return { total, accepted, seconds, firstError: errors[0] ?? null };
}

/** Expected vs received per socket and event: lost, duplicated, arrived on another channel. */
export function deliveries(o, sockets, accepted) {
  let received = 0;
  let duplicated = 0;
  let wrong = 0;
  for (const s of sockets) {
    wrong += s.wrong;
    for (const [seq, n] of s.seen) {
      if (!accepted.has(seq)) continue;
      received++;
      duplicated += n - 1;
    }
  }
  const expected = accepted.size * o.subs;
  return { expected, received, lost: expected - received, duplicated, wrongChannel: wrong };
}
