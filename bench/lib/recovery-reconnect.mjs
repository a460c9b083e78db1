// recovery-reconnect: how long `clients` clients take to come back and recover at once, against
// connecting and subscribing as many fresh clients. On a fresh server (after one unmeasured
// connect and subscribe of everyone, so that neither side gets the cold start):
//   fresh: all connect and subscribe (channels rec-0 … rec-<channels-1>), timed; then per round:
//   1. `live` events per channel reach everyone (each client now holds a position), all disconnect;
//   2. `missed` events per channel are published while nobody listens;
//   3. recover: all reconnect at once with `recover` (their position and old socket id), timed;
//      every client must have received exactly the missed events, in order, then recovered: true;
//   4. fresh: all disconnect, connect and subscribe without `recover`, timed.
// Each round's ratio is its recover time ÷ the mean of the fresh times on either side of it, so a
// host whose load drifts moves both alike; the scenario reports the median of the rounds.
import { fork } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Publisher, makePayload, nowMs, signQuery } from '../harness/lib/pusher.mjs';
import { cpuMs, sleep, startServer } from './server-proc.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PER_TRIGGER = 100; // the app's maxChannelsPerTrigger

/** Forked client processes, each holding a slice of the clients; ask() sends to all and awaits all replies. */
function generators(procs, init) {
  const per = Math.ceil(init.clients / procs);
  const kids = [];
  for (let first = 0; first < init.clients; first += per) {
    const cp = fork(path.join(here, 'recovery-clients.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    kids.push({ cp, first, count: Math.min(per, init.clients - first) });
  }
  const ask = (msg, each = () => ({})) =>
    Promise.all(
      kids.map(
        (k) =>
          new Promise((resolve, reject) => {
            const onMessage = (m) => {
              if (m.type !== msg.cmd) return;
              k.cp.off('message', onMessage);
              k.cp.off('exit', onExit);
              resolve(m);
            };
            const onExit = (code) => reject(new Error(`client process exited (${code}) during ${msg.cmd}`));
            k.cp.on('message', onMessage);
            k.cp.once('exit', onExit);
            k.cp.send({ ...msg, ...each(k) });
          }),
      ),
    );
  const stop = () => kids.forEach((k) => k.cp.kill());
  return { ask, stop, init: () => ask({ cmd: 'init', ...init }, (k) => ({ first: k.first, count: k.count })) };
}

/** Occupied channels of the app (GET /apps/{id}/channels): how the server sees who is still there. */
function occupied(t, creds) {
  const p = `/apps/${creds.id}/channels`;
  const qs = signQuery({ method: 'GET', path: p, key: creds.key, secret: creds.secret });
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: t.port, path: `${p}?${qs}` }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`GET ${p}: ${res.statusCode} ${body}`));
          resolve(Object.keys(JSON.parse(body).channels ?? {}).length);
        });
      })
      .on('error', reject);
  });
}

async function untilEmpty(t, creds) {
  const t0 = Date.now();
  while ((await occupied(t, creds)) > 0) {
    if (Date.now() - t0 > 30000) throw new Error('clients still subscribed 30 s after closing');
    await sleep(50);
  }
}

/** One event per seq in `seqs`, to every channel. */
async function publish(pub, names, seqs, payload) {
  for (const seq of seqs)
    for (let i = 0; i < names.length; i += PER_TRIGGER)
      await pub.trigger(names.slice(i, i + PER_TRIGGER), 'rec', makePayload(seq, payload));
  if (pub.failed) throw new Error(`trigger failed: ${pub.lastError}`);
}

async function once(target, o) {
  const { creds } = o;
  const server = await startServer(target);
  const gen = generators(o.procs, {
    server: { host: '127.0.0.1', port: target.port, key: creds.key },
    clients: o.clients,
    channels: o.channels,
  });
  const pub = new Publisher({
    host: '127.0.0.1',
    port: target.port,
    appId: creds.id,
    key: creds.key,
    secret: creds.secret,
  });
  const names = Array.from({ length: o.channels }, (_, i) => `rec-${i}`);
  const concurrency = Math.max(1, Math.ceil(o.concurrency / o.procs));
  const phase = async (recover, missed, lastOffset) => {
    const cpu0 = cpuMs(server.pid);
    const t0 = nowMs();
    const got = await gen.ask({ cmd: 'connect', recover, concurrency });
    const ms = nowMs() - t0;
    const cpu = cpuMs(server.pid) - cpu0;
    const failed = got.reduce((s, g) => s + g.failed, 0);
    if (failed) throw new Error(`${failed} clients failed to connect: ${got.find((g) => g.firstError).firstError}`);
    const v = await gen.ask({ cmd: 'verify', recover, missed, lastOffset });
    const ok = v.reduce((s, x) => s + x.ok, 0);
    const bad = v.find((x) => x.firstBad)?.firstBad ?? null;
    return { ms, serverCpuUsPerClient: Math.round((cpu * 1000) / o.clients), ok, firstBad: bad };
  };
  const away = async () => {
    await gen.ask({ cmd: 'close' });
    await untilEmpty(target, creds);
  };
  const seqs = (from, n) => Array.from({ length: n }, (_, i) => from + i);
  try {
    await gen.init();
    await phase(false, [], 0); // warm-up
    await away();
    const fresh = [await phase(false, [], 0)];
    const recover = [];
    let seq = 0;
    for (let r = 0; r < o.rounds; r++) {
      await publish(pub, names, seqs(seq, o.live), o.payload);
      await gen.ask({ cmd: 'live', n: o.live });
      seq += o.live;
      await away();
      const missed = seqs(seq, o.missed);
      await publish(pub, names, missed, o.payload);
      seq += o.missed;
      recover.push(await phase(true, missed));
      await away();
      fresh.push(await phase(false, [], seq));
    }
    await gen.ask({ cmd: 'close' });
    return { fresh, recover };
  } finally {
    pub.close();
    gen.stop();
    await server.stop();
  }
}

const median = (xs) => {
  const v = [...xs].sort((x, y) => x - y);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

export async function runRecoveryReconnect(target, opts) {
  const { clients, channels, live, missed, payload, concurrency, rounds } = opts;
  const res = {
    scenario: 'recovery-reconnect',
    target: target.name,
    rep: opts.rep,
    params: { clients, channels, live, missed, payload, concurrency, rounds },
  };
  try {
    const { fresh, recover } = await once(target, opts);
    const ratios = recover.map((p, r) => p.ms / ((fresh[r].ms + fresh[r + 1].ms) / 2));
    const cpuRatios = recover.map(
      (p, r) => p.serverCpuUsPerClient / ((fresh[r].serverCpuUsPerClient + fresh[r + 1].serverCpuUsPerClient) / 2),
    );
    Object.assign(res, {
      fresh,
      recover,
      ratios,
      ratio: median(ratios),
      cpuRatio: median(cpuRatios),
      freshMs: median(fresh.map((p) => p.ms)),
      recoverMs: median(recover.map((p) => p.ms)),
      freshCpuUsPerClient: median(fresh.map((p) => p.serverCpuUsPerClient)),
      recoverCpuUsPerClient: median(recover.map((p) => p.serverCpuUsPerClient)),
      verified: [...fresh, ...recover].every((p) => p.ok === clients),
      firstBad: [...recover, ...fresh].find((p) => p.firstBad)?.firstBad ?? null,
    });
  } catch (e) {
    res.error = String(e?.stack ?? e);
  }
  const r = res;
  const list = (ps) => ps.map((p) => Math.round(p.ms)).join(', ');
  console.error(
    r.error
      ? `[recovery-reconnect] ${target.name}: ERROR ${r.error}`
      : `[recovery-reconnect] ${clients} clients, ${channels} channels, ${missed} missed each, ${rounds} rounds: ` +
          `fresh ${list(r.fresh)} ms, recover ${list(r.recover)} ms; ratio ${r.ratio.toFixed(2)} ` +
          `(rounds ${r.ratios.map((x) => x.toFixed(2)).join(', ')}); server CPU/client fresh ` +
          `${r.freshCpuUsPerClient} µs, recover ${r.recoverCpuUsPerClient} µs` +
          (r.verified ? '; every client verified' : `; NOT VERIFIED: ${r.firstBad}`),
  );
  return res;
}
