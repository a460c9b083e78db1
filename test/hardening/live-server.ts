// `pushi serve` in a child process, with stdout (pino JSON) and stderr kept apart so a run can
// prove "no crash, no unhandled rejection, no unexpected error". Used by the hardening tests and by
// scripts/fuzz.mjs, soak.mjs and faults.mjs.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { distinctFreePorts } from '../helpers/ports.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LiveServer {
  pid: number;
  wsPort: number;
  httpPort: number;
  httpUrl: string;
  wsUrl: (key: string, query?: string) => string;
  stdout: () => string;
  stderr: () => string;
  /** Log lines at error/fatal level, stderr lines, and an unexpected exit: empty on a healthy run. */
  problems: () => string[];
  alive: () => boolean;
  exited: Promise<Exit>;
  /** Sends `signal` (SIGTERM by default) and resolves on exit. */
  stop: (signal?: NodeJS.Signals) => Promise<Exit>;
}

export interface LiveServerOptions {
  env: Record<string, string | undefined>;
  /** Extra node flags (e.g. --expose-gc, --max-http-header-size=…). */
  nodeArgs?: string[];
  readyTimeoutMs?: number;
  /** Log lines matching this are expected (e.g. "store unavailable" in a fault run). */
  expectedErrors?: RegExp;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL'); // never leave a server behind on a shared machine
});

/** The inherited environment without Pushi's own variables, then `env`. */
function cleanEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(PUSHI_|DATABASE_|APP_|SERVER_|LOG_)/.test(k)) out[k] = v;
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

const BENIGN_STDERR = /^\s*$|--trace-warnings|ExperimentalWarning/;

export async function startLiveServer(o: LiveServerOptions): Promise<LiveServer> {
  for (let attempt = 1; ; attempt++) {
    const [wsPort, httpPort] = await distinctFreePorts(2);
    const child = spawn(process.execPath, [...(o.nodeArgs ?? []), '--import', 'tsx', 'src/cli.ts', 'serve'], {
      cwd: ROOT,
      env: cleanEnv({
        SERVER_HOST: '127.0.0.1',
        SERVER_PORT: String(wsPort),
        APP_HOST: '127.0.0.1',
        APP_PORT: String(httpPort),
        LOG_LEVEL: 'warn',
        ...o.env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    // Bounded: a long run logs; keep the tail (problems are also collected line by line below).
    const problems: string[] = [];
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-500_000);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        const level = /"level":(\d+)/.exec(line)?.[1];
        if (level && Number(level) >= 50 && !o.expectedErrors?.test(line) && problems.length < 200)
          problems.push(`log: ${line.slice(0, 2000)}`);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString()).slice(-500_000);
      for (const line of chunk.toString().split('\n'))
        if (!BENIGN_STDERR.test(line) && problems.length < 200) problems.push(`stderr: ${line.slice(0, 2000)}`);
    });
    let exit: Exit | undefined;
    let stopping = false;
    const exited = new Promise<Exit>((resolve) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        exit = { code, signal };
        if (!stopping) problems.push(`process exited unexpectedly (code ${code}, signal ${signal})`);
        resolve(exit);
      }),
    );
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    const deadline = Date.now() + (o.readyTimeoutMs ?? 90_000);
    let ready = false;
    while (!exit && Date.now() < deadline) {
      try {
        const res = await fetch(`${httpUrl}/health`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (res.status === 200) {
          ready = true;
          break;
        }
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!ready) {
      stopping = true;
      child.kill('SIGKILL');
      await exited;
      if (/port is in use/.test(err) && attempt < 3) continue;
      throw new Error(`pushi serve did not start:\n${out}\n${err}`);
    }
    return {
      pid: child.pid!,
      wsPort,
      httpPort,
      httpUrl,
      wsUrl: (key, query = 'protocol=7&client=js&version=8.4.0') => `ws://127.0.0.1:${wsPort}/app/${key}?${query}`,
      stdout: () => out,
      stderr: () => err,
      problems: () => [...problems],
      alive: () => !exit,
      exited,
      stop: (signal = 'SIGTERM') => {
        stopping = true;
        if (!exit) child.kill(signal);
        return exited;
      },
    };
  }
}
