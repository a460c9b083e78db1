// What Redis sends each Pushi node and what Redis itself did, for the cluster interest benchmark.
// RedisTap: a TCP proxy between one node and a standalone Redis that parses the Redis → node stream
// (RESP2) and counts the pub/sub messages in it (message, pmessage, smessage) and their bytes: the
// node's inbound bus traffic, measured outside the node, whatever its code. redisStats: INFO deltas.
import net from 'node:net';
import { Redis } from 'ioredis';

const CRLF = Buffer.from('\r\n');
const PUSH = new Set(['message', 'pmessage', 'smessage']);

/** End offset of the RESP2 value at `i`, or -1 when `buf` does not hold all of it yet. */
function valueEnd(buf, i) {
  const nl = buf.indexOf(CRLF, i);
  if (nl < 0) return -1;
  const n = Number(buf.toString('latin1', i + 1, nl));
  let p = nl + 2;
  switch (buf[i]) {
    case 0x2b: // + simple string
    case 0x2d: // - error
    case 0x3a: // : integer
      return p;
    case 0x24: // $ bulk string
      return n < 0 ? p : p + n + 2 <= buf.length ? p + n + 2 : -1;
    case 0x2a: // * array
      for (let k = 0; k < n && p >= 0; k++) p = valueEnd(buf, p);
      return p;
    default:
      throw new Error(`not RESP2 at byte ${i}: ${buf.toString('latin1', i, i + 20)}`);
  }
}

/** Whether the complete value at `i` is a pub/sub message: an array whose first element is message/…. */
function isPush(buf, i) {
  if (buf[i] !== 0x2a) return false;
  const first = buf.indexOf(CRLF, i) + 2;
  if (buf[first] !== 0x24) return false;
  const nl = buf.indexOf(CRLF, first);
  const len = Number(buf.toString('latin1', first + 1, nl));
  return len <= 8 && PUSH.has(buf.toString('latin1', nl + 2, nl + 2 + len));
}

export class RedisTap {
  messages = 0;
  bytes = 0;
  error = null;
  #server;
  #sockets = new Set();

  constructor(target) {
    this.target = target; // { host, port }
  }

  async start() {
    this.#server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      let pending = Buffer.alloc(0);
      upstream.on('data', (chunk) => {
        client.write(chunk);
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        if (this.error) return;
        let i = 0;
        try {
          for (let end; i < pending.length && (end = valueEnd(pending, i)) >= 0; i = end) {
            if (isPush(pending, i)) {
              this.messages++;
              this.bytes += end - i;
            }
          }
        } catch (err) {
          this.error = err.message; // not RESP2 (RESP3?): the counts are reported as unavailable
        }
        pending = pending.subarray(i);
      });
      client.on('data', (chunk) => upstream.write(chunk));
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.#sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
    });
    await new Promise((r) => this.#server.listen(0, '127.0.0.1', r));
    return `redis://127.0.0.1:${this.#server.address().port}`;
  }

  snapshot() {
    return this.error ? null : { messages: this.messages, bytes: this.bytes };
  }

  async close() {
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => this.#server?.close(() => r()) ?? r());
  }
}

/** Counters of one Redis server: calls per command (INFO commandstats), all commands, bytes out, CPU ms. */
async function serverStats({ host, port }) {
  const r = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    const text = `${await r.info('commandstats')}\n${await r.info('stats')}\n${await r.info('cpu')}`;
    const num = (re) => Number(re.exec(text)?.[1] ?? 0);
    const calls = {};
    for (const [, cmd, n] of text.matchAll(/^cmdstat_(\S+):calls=(\d+)/gm)) calls[cmd] = Number(n);
    return {
      calls,
      commands: num(/^total_commands_processed:(\d+)/m),
      netOutBytes: num(/^total_net_output_bytes:(\d+)/m),
      cpuMs: 1000 * (num(/^used_cpu_sys:([\d.]+)/m) + num(/^used_cpu_user:([\d.]+)/m)),
    };
  } finally {
    r.disconnect();
  }
}

/** a + b field by field, or b − a with `sign` −1 (calls: per command, a missing one counting 0). */
function combine(a, b, sign = 1) {
  const calls = {};
  for (const cmd of new Set([...Object.keys(a.calls), ...Object.keys(b.calls)]))
    calls[cmd] = (b.calls[cmd] ?? 0) + sign * (a.calls[cmd] ?? 0);
  const f = (k) => b[k] + sign * a[k];
  return { calls, commands: f('commands'), netOutBytes: f('netOutBytes'), cpuMs: f('cpuMs') };
}

/** The counters summed over servers (the masters of a cluster). */
export async function redisStats(servers) {
  const all = await Promise.all(servers.map(serverStats));
  return all.reduce((x, y) => combine(x, y), { calls: {}, commands: 0, netOutBytes: 0, cpuMs: 0 });
}

/** after − before; commands not called in between are left out. */
export function statsDelta(before, after) {
  const d = combine(before, after, -1);
  d.calls = Object.fromEntries(Object.entries(d.calls).filter(([, n]) => n > 0));
  d.cpuMs = Math.round(d.cpuMs);
  return d;
}
