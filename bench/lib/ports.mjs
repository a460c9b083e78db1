// A free TCP port for a server under test, below the kernel's ephemeral range: the load
// generator's tens of thousands of client sockets (and their TIME_WAIT leftovers) take local ports
// from that range, and a server port among them may be refused (EADDRINUSE) minutes later.
import fs from 'node:fs';
import net from 'node:net';

function ephemeralStart() {
  try {
    return Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

const taken = new Set();

function tryListen(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A free port in [low, high) with port + each of `also` free too; none is handed out twice per process. */
async function pick(low, high, also = []) {
  for (let i = 0; i < 200; i++) {
    const port = low + Math.floor(Math.random() * (high - low));
    const ports = [port, ...also.map((d) => port + d)];
    if (ports.some((p) => taken.has(p))) continue;
    let free = true;
    for (const p of ports) free &&= await tryListen(p);
    if (free) {
      for (const p of ports) taken.add(p); // not handed out twice in one run, even when the first server is not up yet
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}

export function freePort() {
  const top = ephemeralStart();
  return pick(Math.max(1024, top - 12000), top);
}

/** A free port p with p + offset free too (Redis Cluster's bus listens on port + 10000), both below the ephemeral range. */
export function freePortWith(offset) {
  const top = ephemeralStart();
  return pick(Math.max(1024, top - offset - 12000), top - offset, [offset]);
}
