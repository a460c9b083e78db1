#!/usr/bin/env node
// Soak: holds thousands of WebSocket connections on a `pushi serve` child process with churn
// (connect, subscribe, publish, disconnect) for a configurable time, and reports the server's RSS
// (/proc/<pid>/status), open file descriptors, and event-loop lag, heap and handles (its own
// GET /metrics, prom-client default metrics) over time. Passes when RSS levels off, handles and
// descriptors follow the connection count, every message triggered to a connected subscriber
// arrived, and the server logged no error. Run through tsx: `npm run soak -- --minutes 10`.
//
//   --minutes N | --seconds N   duration of the churn phase (default 2 minutes)
//   --connections N             connections held (default 2000)
//   --channels N                public channels (default 100; as many private ones)
//   --churn P                   % of connections replaced per second (default 2)
//   --rate N                    triggers per second (default 20)
//   --sample N                  seconds between samples (default 10)
//   --json                      print the report as JSON
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startLiveServer } from '../test/hardening/live-server.ts';
import { channelAuth, md5Hex, signRequest } from '../src/protocol/signatures.ts';

const { values: v } = parseArgs({
  options: {
    minutes: { type: 'string' },
    seconds: { type: 'string' },
    connections: { type: 'string', default: '2000' },
    channels: { type: 'string', default: '100' },
    churn: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    sample: { type: 'string', default: '10' },
    json: { type: 'boolean', default: false },
  },
});
const seconds = v.seconds ? Number(v.seconds) : Number(v.minutes ?? 2) * 60;
const N = Number(v.connections);
const CHANNELS = Number(v.channels);
const CHURN = Math.max(0, Math.round((N * Number(v.churn)) / 100));
const RATE = Number(v.rate);
const SAMPLE_MS = Number(v.sample) * 1000;
if (![seconds, N, CHANNELS, RATE, SAMPLE_MS].every((x) => x > 0)) {
  console.error('soak: numeric flags must be positive');
  process.exit(2);
}
const log = (...a) => !v.json && console.log(...a);

const APP = { id: 'soak-app', key: 'soak-key', secret: 'soak-secret-0123456789' };
const dir = mkdtempSync(join(tmpdir(), 'pushi-soak-'));
writeFileSync(
  join(dir, 'apps.json'),
  JSON.stringify({ apps: [{ ...APP, options: { clientEvents: true, maxApiRequestsPerSecond: 0 } }] }),
);
const server = await startLiveServer({
  env: { PUSHI_APPS_FILE: join(dir, 'apps.json'), PUSHI_DB: join(dir, 'pushi.db'), LOG_LEVEL: 'warn' },
});
log(
  `soak: pushi serve pid ${server.pid}; ${N} connections, ${CHURN}/s churn, ${RATE} triggers/s over ${CHANNELS * 2} channels, ${seconds} s`,
);

// --- clients ---------------------------------------------------------------------------------
const clients = new Set();
const bySub = new Map(); // channel → Set<client> confirmed and not closing
const stats = {
  opened: 0,
  closed: 0,
  unexpectedCloses: {},
  connectFailures: 0,
  triggers: 0,
  triggerErrors: {},
  expected: 0,
  delivered: 0,
  missing: 0,
  missingExamples: [],
};
let nextId = 0;

function verify(c) {
  for (const seq of c.expected) {
    stats.expected++;
    if (c.received.has(seq)) stats.delivered++;
    else {
      stats.missing++;
      if (stats.missingExamples.length < 10)
        stats.missingExamples.push({ client: c.id, seq, closeCode: c.closeCode ?? null });
    }
  }
  c.expected.clear();
}

function leave(c) {
  c.closing = true;
  for (const ch of c.channels) bySub.get(ch)?.delete(c);
}

function open() {
  const id = nextId++;
  const channels = [`soak-${id % CHANNELS}`, `private-soak-${(id * 7) % CHANNELS}`];
  const c = {
    id,
    channels,
    expected: new Set(),
    received: new Set(),
    closing: false,
    closeCode: undefined,
    ws: undefined,
  };
  return new Promise((resolve) => {
    const ws = new WebSocket(server.wsUrl(APP.key));
    c.ws = ws;
    clients.add(c);
    ws.on('message', (buf) => {
      const f = JSON.parse(buf.toString());
      if (f.event === 'soak') c.received.add(JSON.parse(f.data).seq);
      else if (f.event === 'pusher:connection_established') {
        const socketId = JSON.parse(f.data).socket_id;
        stats.opened++;
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: channels[0] } }));
        ws.send(
          JSON.stringify({
            event: 'pusher:subscribe',
            data: { channel: channels[1], auth: channelAuth(APP.key, APP.secret, socketId, channels[1]) },
          }),
        );
      } else if (f.event === 'pusher_internal:subscription_succeeded') {
        if (!c.closing) {
          if (!bySub.has(f.channel)) bySub.set(f.channel, new Set());
          bySub.get(f.channel).add(c);
        }
        if (channels.every((ch) => bySub.get(ch)?.has(c))) resolve(true);
      } else if (f.event === 'pusher:ping') ws.send('{"event":"pusher:pong","data":{}}');
      else if (f.event === 'pusher:subscription_error' || f.event === 'pusher:error') {
        stats.serverErrors = (stats.serverErrors ?? 0) + 1;
        resolve(false);
      }
    });
    ws.on('close', (code) => {
      c.closeCode = code;
      if (!c.closing) stats.unexpectedCloses[code] = (stats.unexpectedCloses[code] ?? 0) + 1;
      leave(c);
      clients.delete(c);
      stats.closed++;
      verify(c);
      resolve(false);
    });
    ws.on('error', () => {
      if (!c.closing) stats.connectFailures++;
    });
    setTimeout(() => resolve(false), 30_000).unref(); // a loaded machine: don't let the ramp hang
  });
}

function churnOne() {
  const list = [...clients].filter((c) => !c.closing);
  const c = list[Math.floor(Math.random() * list.length)];
  if (!c) return;
  leave(c);
  c.ws.close(1000);
}

// --- publisher -------------------------------------------------------------------------------
let seq = 0;
let inFlight = 0;
async function trigger() {
  if (inFlight >= 20) return; // the server is behind: don't pile up requests on a loaded machine
  const n = seq++;
  const channel = n % 2 ? `soak-${n % CHANNELS}` : `private-soak-${n % CHANNELS}`;
  const snapshot = [...(bySub.get(channel) ?? [])];
  const body = JSON.stringify({ name: 'soak', channel, data: JSON.stringify({ seq: n, pad: 'x'.repeat(100) }) });
  const params = {
    auth_key: APP.key,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    body_md5: md5Hex(body),
  };
  const path = `/apps/${APP.id}/events`;
  params.auth_signature = signRequest(APP.secret, 'POST', path, params);
  inFlight++;
  try {
    const res = await fetch(`${server.httpUrl}${path}?${new URLSearchParams(params)}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    stats.triggers++;
    if (res.status !== 200) stats.triggerErrors[res.status] = (stats.triggerErrors[res.status] ?? 0) + 1;
    // Answered: the frame is on every socket that was subscribed before we asked. Those we have not
    // started closing must receive it before their close.
    else for (const c of snapshot) if (!c.closing) c.expected.add(n);
  } catch (err) {
    stats.triggerErrors[err.name] = (stats.triggerErrors[err.name] ?? 0) + 1;
  } finally {
    inFlight--;
  }
}

// --- sampling --------------------------------------------------------------------------------
const samples = [];
const t0 = Date.now();
function metric(text, name) {
  let sum;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== ' ' && line[name.length] !== '{')) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
async function sample(phase) {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  const text = await fetch(`${server.httpUrl}/metrics`, { signal: AbortSignal.timeout(30_000) }).then(
    (r) => r.text(),
    () => '',
  );
  const s = {
    t: Math.round((Date.now() - t0) / 1000),
    phase,
    rssMB: +(kb('VmRSS') / 1024).toFixed(1),
    heapMB: +((metric(text, 'nodejs_heap_size_used_bytes') ?? NaN) / 2 ** 20).toFixed(1),
    fds: readdirSync(`/proc/${server.pid}/fd`).length,
    handles: metric(text, 'nodejs_active_handles_total'),
    connections: metric(text, 'pushi_connections'),
    lagP99ms: +((metric(text, 'nodejs_eventloop_lag_p99_seconds') ?? NaN) * 1000).toFixed(1),
    lagMaxMs: +((metric(text, 'nodejs_eventloop_lag_max_seconds') ?? NaN) * 1000).toFixed(1),
    clients: clients.size,
    triggers: stats.triggers,
    missing: stats.missing,
  };
  samples.push(s);
  log(
    `  t=${String(s.t).padStart(4)}s ${phase.padEnd(6)} rss ${s.rssMB} MB  heap ${s.heapMB} MB  fds ${s.fds}  handles ${s.handles}  conns ${s.connections}  lag p99 ${s.lagP99ms} ms (max ${s.lagMaxMs})  triggers ${s.triggers}  missing ${s.missing}`,
  );
}

// --- run -------------------------------------------------------------------------------------
let failed;
try {
  await sample('start');
  for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: Math.min(100, N - i) }, open));
  await sample('ramped');
  const end = Date.now() + seconds * 1000;
  const publisher = setInterval(trigger, 1000 / RATE);
  const churner = setInterval(() => {
    for (let i = 0; i < CHURN; i++) {
      churnOne();
      open();
    }
  }, 1000);
  while (Date.now() < end && server.alive()) {
    await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, end - Date.now())));
    await sample('churn');
  }
  clearInterval(publisher);
  clearInterval(churner);
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 100));
  // Close everyone gracefully: each client is checked on its close.
  for (const c of [...clients]) {
    leave(c);
    c.ws.close(1000);
  }
  for (let i = 0; i < 600 && clients.size; i++) await new Promise((r) => setTimeout(r, 100));
  for (const c of [...clients]) {
    verify(c);
    c.ws.terminate();
  }
  await sample('drained');
} finally {
  const problems = server.problems();
  const alive = server.alive();
  await server.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });

  // RSS levels off: ignore the ramp and the first quarter of the churn; compare the medians of the
  // two halves of the rest. Handles and descriptors must track the connection count.
  const churn = samples.filter((s) => s.phase === 'churn');
  const steady = churn.slice(Math.floor(churn.length / 4));
  const half = Math.floor(steady.length / 2);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const early = steady.slice(0, half);
  const late = steady.slice(half);
  const growthMB =
    early.length && late.length
      ? +(median(late.map((s) => s.rssMB)) - median(early.map((s) => s.rssMB))).toFixed(1)
      : 0;
  const allowedMB = early.length ? Math.max(32, 0.15 * median(early.map((s) => s.rssMB))) : Infinity;
  const extra = (s) => s.handles - s.connections;
  const handleDrift = early.length && late.length ? median(late.map(extra)) - median(early.map(extra)) : 0;
  const checks = {
    serverAlive: alive,
    noServerProblems: problems.length === 0,
    rssLevelsOff: growthMB <= allowedMB,
    handlesTrackConnections: Math.abs(handleDrift) <= 50,
    everyMessageArrived: stats.missing === 0,
    noUnexpectedCloses: Object.keys(stats.unexpectedCloses).length === 0 && !stats.serverErrors,
    triggersAccepted: Object.keys(stats.triggerErrors).length === 0,
    enoughSamples: steady.length >= 4,
  };
  failed = Object.values(checks).some((ok) => !ok);
  const report = {
    config: { seconds, connections: N, churnPerSecond: CHURN, triggersPerSecond: RATE, channels: CHANNELS * 2 },
    checks,
    rss: { growthMB, allowedMB: +allowedMB.toFixed(1) },
    handleDrift,
    stats,
    problems,
    samples,
  };
  if (v.json) console.log(JSON.stringify(report, null, 2));
  else {
    log(
      `\nconnections established ${stats.opened}, closed ${stats.closed} (some before establishing); triggers ${stats.triggers}; deliveries expected ${stats.expected}, delivered ${stats.delivered}, missing ${stats.missing}`,
    );
    log(
      `unexpected closes ${JSON.stringify(stats.unexpectedCloses)}; trigger errors ${JSON.stringify(stats.triggerErrors)}; connect failures ${stats.connectFailures}`,
    );
    log(
      `RSS growth over the steady phase: ${growthMB} MB (allowed ${allowedMB.toFixed(1)} MB); handles beyond connections drifted by ${handleDrift}`,
    );
    for (const [k, ok] of Object.entries(checks)) log(`  ${ok ? 'ok  ' : 'FAIL'} ${k}`);
    for (const p of problems.slice(0, 10)) log(`  server: ${p}`);
    log(failed ? '\nSOAK FAILED' : '\nsoak passed');
  }
}
process.exit(failed ? 1 : 0);
