// hundred-k's preconditions, each with what it needs and what it found, and the plan they allow: how
// many connections (fewer than asked when a limit says so), over which client processes, local
// addresses and ports.
//
// Client sockets bind an explicit local port from a window below the server ports (PORTS) on local
// addresses 127.0.0.x that hold no TIME_WAIT leftovers. Explicit ports outside the ephemeral range keep
// the run from taking ephemeral ports: a port bound by bind(), on any address, is skipped by every
// unbound connect() on the box, so 100,000 bound sockets in the ephemeral range (and their TIME_WAIT
// for 60 s after) would make other programs' connects fail with EADDRNOTAVAIL.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { ephemeralRange, socketsByAddress } from './time-wait.mjs';

/** Client source ports [lo, hi]: under the server ports of bench/lib/ports.mjs (ephemeral start - 12000). */
export const PORTS = [10000, ephemeralRange()[0] - 12001];
const PER_ADDR = 9000; // of the window's ports, the rest are spares for ports another program holds
const PER_PROC_MAX = 16000; // sockets per client process, under the file limit
const SERVER_FD_MARGIN = 1000; // a worker's own files: Redis, SQLite, logs, listeners
const CLIENT_KB = 12; // generator RSS per socket: 9.4 KB measured at 100,000, with room
const SERVER_KB = 10; // server RSS per connection, all workers, a generous bound
const BASE_MB = 1500; // servers' and generators' base, Redis

export function openFileLimit() {
  const m = /Max open files\s+(\d+|unlimited)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return !m || m[1] === 'unlimited' ? Infinity : Number(m[1]);
}

function memAvailableMb() {
  const m = /MemAvailable:\s+(\d+)/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
  return m ? Math.floor(Number(m[1]) / 1024) : Math.floor(os.freemem() / 2 ** 20);
}

/** "+PONG" from Redis at `url`, or the reason it did not come. */
export function pingRedis(url) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(u.port || 6379), u.hostname);
    const done = (why) => (s.destroy(), resolve(why));
    s.setTimeout(2000, () => done('no answer in 2 s'));
    s.on('error', (e) => done(e.message));
    s.on('connect', () => s.write(u.password ? `AUTH ${decodeURIComponent(u.password)}\r\nPING\r\n` : 'PING\r\n'));
    s.on('data', (d) => done(d.toString().includes('+PONG') ? null : d.toString().trim()));
  });
}

/** 127.0.0.2, 127.0.0.3, … (then 127.0.1.x, …) with no socket on them (TIME_WAIT or open): `n` of them. */
function cleanAddresses(n) {
  const leftovers = socketsByAddress();
  const out = [];
  for (let i = 2; out.length < n && i < 254 * 16; i++) {
    const ip = `127.0.${Math.floor(i / 254)}.${(i % 254) + 1}`;
    if (ip !== '127.0.0.1' && !leftovers.get(ip)) out.push(ip);
  }
  const skipped = [...leftovers].filter(([ip]) => ip !== '127.0.0.1').reduce((s, [, c]) => s + c, 0);
  return { addrs: out, skipped };
}

/**
 * Checks the box against a run of `conns` connections on `workers` workers; returns the checks and
 * a plan: { checks, conns, procs, addrsPerProc, addrs, fatal }. `conns` in the plan is the largest
 * the limits allow, up to the asked number.
 */
export async function planRun({ conns, workers, procs, redisUrl }) {
  const checks = [];
  const check = (name, need, found, ok, consequence) => checks.push({ name, need, found, ok, consequence });
  let n = conns;
  let fatal = null;

  const limit = openFileLimit();
  const perWorker = limit - SERVER_FD_MARGIN;
  const serverMax = workers * perWorker;
  check(
    'open files per process (server)',
    `${Math.ceil(conns / workers)} sockets per worker (${conns} over ${workers}) + ${SERVER_FD_MARGIN}`,
    `limit ${limit}`,
    conns <= serverMax,
    `${workers} workers hold at most ${serverMax}: run at N=${Math.min(n, serverMax)}, or more --hk-workers`,
  );
  n = Math.min(n, serverMax);
  const clientProcs = Math.max(procs, Math.ceil(n / Math.min(PER_PROC_MAX, limit - SERVER_FD_MARGIN)));
  const perProc = Math.ceil(n / clientProcs);
  check(
    'open files per process (generator)',
    `${perProc} sockets per client process (${clientProcs} processes)`,
    `limit ${limit}`,
    perProc <= limit - 100,
    'more client processes (--hk-procs)',
  );

  const addrsPerProc = Math.ceil(perProc / PER_ADDR);
  const { addrs, skipped } = cleanAddresses(clientProcs * addrsPerProc);
  const window = PORTS[1] - PORTS[0] + 1;
  check(
    'source addresses and ports',
    `${clientProcs * addrsPerProc} addresses 127.0.x.y × ${PER_ADDR} ports of ${PORTS[0]}-${PORTS[1]}, no socket on them`,
    `${addrs.length} clean addresses (${skipped} sockets, TIME_WAIT or open, on other 127.x addresses skipped); window ${window} ports`,
    addrs.length === clientProcs * addrsPerProc && window > PER_ADDR,
    'fewer connections',
  );
  if (addrs.length < clientProcs * addrsPerProc) n = Math.min(n, Math.floor(addrs.length / addrsPerProc) * perProc);

  const [lo, hi] = ephemeralRange();
  check(
    'ephemeral port range (for unbound connects: HTTP triggers, Redis)',
    'not used by the client sockets',
    `${lo}-${hi} (${hi - lo + 1} ports); client ports ${PORTS[0]}-${PORTS[1]} lie below it`,
    PORTS[1] < lo,
    'client ports would take ephemeral ports from every other program',
  );

  const memMb = memAvailableMb();
  const needMb = Math.ceil((n * (CLIENT_KB + SERVER_KB)) / 1024) + BASE_MB;
  const memMax = Math.max(0, Math.floor((((memMb - BASE_MB) * 1024) / (CLIENT_KB + SERVER_KB)) * 0.9));
  check(
    'free memory',
    `${needMb} MB (${CLIENT_KB} KB generator + ${SERVER_KB} KB server per connection + ${BASE_MB} MB)`,
    `${memMb} MB available`,
    memMb >= needMb,
    `run at N=${Math.min(n, memMax)}`,
  );
  if (memMb < needMb) n = Math.min(n, memMax);

  const redisError = await pingRedis(redisUrl);
  check('Redis', `PING answered at ${redisUrl}`, redisError ?? '+PONG', !redisError, 'no run: workers need Redis');
  if (redisError) fatal = `Redis not reachable at ${redisUrl} (${redisError}); set PUSHI_REDIS_URL`;

  check('cores', 'informative: the server and generator share them', `${os.availableParallelism()}`, true, '');
  return { checks, conns: n, procs: Math.ceil(n / perProc), addrsPerProc, addrs, perProc, fatal };
}

export function describeChecks(plan, asked) {
  const lines = plan.checks.map(
    (c) =>
      `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: needs ${c.need}; found ${c.found}${c.ok ? '' : ` → ${c.consequence}`}`,
  );
  if (plan.fatal) lines.push(`  cannot run: ${plan.fatal}`);
  else if (plan.conns < asked) lines.push(`  running at N=${plan.conns} instead of ${asked} (see FAIL above)`);
  return lines.join('\n');
}
