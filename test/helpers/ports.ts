// Ports chosen before they are bound can be taken in between by anything else on the machine. A
// test that must name its ports (one port for ws and http, a restart on the same port) starts
// through these helpers: new ports when a start meets EADDRINUSE, or, for a restart that must keep
// its port, retries for a bounded time and then a clear error instead of a hang.
import { createServer } from 'node:net';

const inUse = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';

/** A port that was free a moment ago (listen on 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** `count` ports, all different, each free a moment ago. */
export async function distinctFreePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** Runs `start` on `count` distinct free ports, with new ones whenever a port was taken meanwhile. */
export async function onFreePorts<T>(count: number, start: (ports: number[]) => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    const ports = await distinctFreePorts(count);
    try {
      return await start(ports);
    } catch (err) {
      if (!inUse(err) || i >= tries) throw err;
    }
  }
}

/** Runs `start` again on a port used before, while something else holds it, for at most `ms`. */
export async function onSamePort<T>(start: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await start();
    } catch (err) {
      if (!inUse(err)) throw err;
      if (Date.now() > deadline)
        throw new Error(`the port stayed in use by something else for ${ms} ms; cannot restart on it`, { cause: err });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
