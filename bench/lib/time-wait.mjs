// TCP sockets in TIME_WAIT, read from /proc/net/tcp and /proc/net/tcp6 (state 06). A connect
// measurement closes its client sockets first, so each leaves one in TIME_WAIT on the generator's
// side, holding its source port for 60 s (Linux's fixed TCP_TIMEWAIT_LEN): 18,000 of them fill most
// of the ephemeral range (28,232 ports here). The connect scenario waits here before each
// measurement, so that every server is measured from the same state of the port range, and names
// the ports other programs' open sockets hold: sockets bound before connect() (a load generator
// with local addresses) hold theirs against every unbound connect on the box, which then fail with
// EADDRNOTAVAIL (docs/performance.md, "Connect measurements and TIME_WAIT").
import fs from 'node:fs';

const TIME_WAIT = '06';
const LISTEN = '0A';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The kernel's ephemeral port range [low, high] (/proc/sys/net/ipv4/ip_local_port_range). */
export function ephemeralRange() {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    return [Number(low), Number(high)];
  } catch {
    return [32768, 60999];
  }
}

/** The port of a /proc/net/tcp address ("0100007F:1F90" or the 32-hex-digit IPv6 form). */
const portOf = (addr) => parseInt(addr.slice(addr.indexOf(':') + 1), 16);

/**
 * TIME_WAIT sockets, in all and those holding a local port of the ephemeral range (the ones a new
 * connect competes with), and the open sockets holding one (other programs'): { total, ephemeral, open }.
 */
export function countTimeWait(files = ['/proc/net/tcp', '/proc/net/tcp6']) {
  const [low, high] = ephemeralRange();
  let total = 0;
  let ephemeral = 0;
  let open = 0;
  for (const file of files) {
    let text;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] === LISTEN) continue;
      const p = portOf(f[1]);
      const inRange = p >= low && p <= high;
      if (f[3] !== TIME_WAIT) open += inRange ? 1 : 0;
      else {
        total++;
        if (inRange) ephemeral++;
      }
    }
  }
  return { total, ephemeral, open };
}

/**
 * Waits until at most `allow` ephemeral ports are held, by TIME_WAIT sockets or by other programs'
 * open ones (a live load generator elsewhere on the box takes ports just the same), for at most
 * `maxMs`. Returns what it waited for: { before, after, timeWait, open, allow, waitedMs, cleared }.
 */
export async function waitTimeWait({ allow = 0, maxMs = 75_000, pollMs = 500 } = {}) {
  const t0 = Date.now();
  const held = (c) => c.ephemeral + c.open;
  const first = countTimeWait();
  let now = first;
  while (held(now) > allow && Date.now() - t0 < maxMs) {
    await sleep(pollMs);
    now = countTimeWait();
  }
  return {
    before: held(first),
    timeWait: first.ephemeral,
    open: first.open,
    after: held(now),
    allow,
    waitedMs: Date.now() - t0,
    cleared: held(now) <= allow,
  };
}

/** One line for the log: what was waited for and how long. */
export function describeWait(w, what) {
  const s = (w.waitedMs / 1000).toFixed(1);
  const held = `${w.before} ephemeral ports held (${w.timeWait} in TIME_WAIT, ${w.open} by open sockets)`;
  if (w.before <= w.allow) return `time-wait: ${held}, at most ${w.allow}: no wait before ${what}`;
  return w.cleared
    ? `time-wait: ${held}; waited ${s} s until ${w.after} before ${what}`
    : `time-wait: ${held}; still ${w.after} after ${s} s (the bound): measuring ${what} anyway`;
}

/** "0200007F" (a /proc/net/tcp IPv4 address, little-endian hex) → "127.0.0.2". */
const ipv4Of = (hex) => [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');

/** IPv4 sockets (TIME_WAIT or open, listeners aside) by local address: Map "127.0.0.2" → count. */
export function socketsByAddress(file = '/proc/net/tcp') {
  const by = new Map();
  for (const line of fs.readFileSync(file, 'latin1').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] === LISTEN) continue;
    const ip = ipv4Of(f[1].slice(0, 8));
    by.set(ip, (by.get(ip) ?? 0) + 1);
  }
  return by;
}
