// Runs the real `pushi` command in a child process (`node --import tsx src/cli.ts …`), for tests
// that must kill the server (SIGKILL) or run the CLI beside it on the same database.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Pusher from 'pusher';
import { distinctFreePorts } from './ports.ts';

// Kept importable from here for the tests that run the CLI beside a server.
export { freePort } from './ports.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = 'src/cli.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildServer {
  pid: number;
  httpPort: number;
  wsPort: number;
  httpUrl: string;
  wsUrl: (key: string, query?: string) => string;
  /** The official `pusher` SDK pointed at this server for the given app. */
  sdk: (app: { id: string; key: string; secret: string }) => Pusher;
  /** Sends the signal (default SIGKILL) and resolves once the process has exited. */
  kill: (signal?: NodeJS.Signals) => Promise<Exit>;
  /** Settles when the process exits, for whatever reason. */
  exited: Promise<Exit>;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output: () => string;
}

const running = new Set<ChildProcess>();
// A failing test must not leave servers behind on a shared machine.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The inherited environment without Pushi's own variables (so the developer's shell cannot change
 * a test), then `env` on top; undefined values are left out.
 */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(PUSHI_|DATABASE_|APP_|SERVER_|LOG_)/.test(k)) continue;
    out[k] = v;
  }
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function spawnCli(
  args: string[],
  env: Record<string, string | undefined>,
): { child: ChildProcess; exited: Promise<Exit>; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  const keep = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000); // bounded: a long-running server logs
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, exited, output: () => out };
}

/** Runs `pushi <args>` to completion (e.g. `apps create NAME`). */
export async function runCli(
  args: string[],
  env: Record<string, string | undefined>,
): Promise<Exit & { output: string }> {
  const { exited, output } = spawnCli(args, { LOG_LEVEL: 'warn', ...env });
  const exit = await exited;
  return { ...exit, output: output() };
}

/**
 * Starts `pushi serve` on fresh ports and resolves once GET /health answers. `env` adds to
 * SERVER_/APP_ host and port (chosen here) and LOG_LEVEL=warn.
 */
export async function startChildServer(
  env: Record<string, string | undefined>,
  timeoutMs = 60_000,
): Promise<ChildServer> {
  for (let attempt = 1; ; attempt++) {
    const [httpPort, wsPort] = await distinctFreePorts(2);
    const spawned = spawnCli(['serve'], {
      SERVER_HOST: '127.0.0.1',
      SERVER_PORT: String(wsPort),
      APP_HOST: '127.0.0.1',
      APP_PORT: String(httpPort),
      LOG_LEVEL: 'warn',
      ...env,
    });
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    const ready = await waitReady(httpUrl, spawned.exited, timeoutMs);
    if (ready !== true) {
      // Another process took a port between our check and the child's listen: try new ones.
      if (/port is in use/.test(spawned.output()) && attempt < 3) continue;
      if (ready === 'timeout') {
        spawned.child.kill('SIGKILL');
        await spawned.exited;
      }
      throw new Error(
        `pushi serve did not start (${ready === 'timeout' ? 'timed out' : 'exited'}):\n${spawned.output()}`,
      );
    }
    const { child, exited } = spawned;
    return {
      pid: child.pid!,
      httpPort,
      wsPort,
      httpUrl,
      wsUrl: (key, query = 'protocol=7&client=js&version=8.4.0') => `ws://127.0.0.1:${wsPort}/app/${key}?${query}`,
      sdk: (app) =>
        new Pusher({
          appId: app.id,
          key: app.key,
          secret: app.secret,
          host: '127.0.0.1',
          port: String(httpPort),
          useTLS: false,
        }),
      kill: (signal = 'SIGKILL') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
      exited,
      output: spawned.output,
    };
  }
}

/** true once /health answers 200; 'exited' if the process ended first; 'timeout' otherwise. */
async function waitReady(
  httpUrl: string,
  exited: Promise<Exit>,
  timeoutMs: number,
): Promise<true | 'exited' | 'timeout'> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    try {
      const res = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return 'timeout';
}
