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

export async function freePort() {
  const top = ephemeralStart();
  const low = Math.max(1024, top - 12000);
  for (let i = 0; i < 200; i++) {
    const port = low + Math.floor(Math.random() * (top - low));
    if (taken.has(port)) continue;
    if (await tryListen(port)) {
      taken.add(port); // not handed out twice in one run, even when the first server is not up yet
      return port;
    }
  }
  throw new Error('no free port below the ephemeral range');
}
