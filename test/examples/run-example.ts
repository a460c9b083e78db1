// Runs a file from examples/ as its own node process, the way a reader would, pointed at a test
// server through the environment the examples read (PUSHI_APP_*, PUSHI_HOST, PUSHI_PORT, PUSHI_WS_PORT).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestServer } from '../helpers/server.ts';

/** The examples import `pushi/sdk` and `pushi/client`, which resolve to the built package (dist/). */
export function assertBuilt(): void {
  for (const file of ['dist/sdk/index.js', 'dist/client/index.js', 'dist/pushi.js'])
    if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build (npm install does it)`);
}

/** What an example needs to find the test server instead of the documented defaults. */
export function exampleEnv(ts: TestServer, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PUSHI_APP_ID: ts.app.id,
    PUSHI_APP_KEY: ts.app.key,
    PUSHI_APP_SECRET: ts.app.secret,
    PUSHI_HOST: '127.0.0.1',
    PUSHI_PORT: String(ts.httpPort),
    PUSHI_WS_PORT: String(ts.wsPort),
    ...extra,
  };
}

export interface RunningExample {
  lines: string[];
  /** Resolves with the first output line matching `pattern` (already printed or still to come). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number | null>;
  stop(): void;
}

const running = new Set<ChildProcess>();

export function runExample(file: string, env: Record<string, string>, args: string[] = []): RunningExample {
  const child = spawn(process.execPath, [file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  const take = (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take); // an example's crash must show up in the failure message
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );
  const line = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const hit = lines.find((l) => pattern.test(l));
        if (hit !== undefined) done(() => resolve(hit));
        else if (child.exitCode !== null)
          done(() => reject(new Error(`${file} exited (${child.exitCode}) before printing ${pattern}:\n${output()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${file} did not print ${pattern} in ${timeoutMs} ms:\n${output()}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });
  const output = () => lines.concat(buffered).join('\n');
  return { lines, line, exited, stop: () => child.kill() };
}

/** Ends every example process still running (call in `after`). */
export function stopAll(): void {
  for (const child of running) child.kill();
}
