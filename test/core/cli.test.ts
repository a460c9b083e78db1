// The `pushi` command as an operator meets it: configuration errors in one line, the default app
// on a bare start (kept across restarts), SIGTERM → clients told 4200 and exit 0.
// Runs src/cli.ts through the tsx loader, so no build step is needed and dist/ can't be stale.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { trigger } from '../helpers/signed-fetch.ts';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** The parent's environment without any Pushi configuration, plus `extra`. */
function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(PUSHI_|SERVER_|APP_|DATABASE_|LOG_|NODE_TEST|NODE_OPTIONS)/.test(k)) out[k] = v;
  }
  return { ...out, ...extra };
}

function spawnCli(extra: Record<string, string>, cwd: string, args = ['serve']): ChildProcess {
  return spawn(process.execPath, ['--import', TSX, CLI, ...args], {
    cwd,
    env: env(extra),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runToExit(extra: Record<string, string>, cwd: string): Promise<Exit> {
  const child = spawnCli(extra, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => (stdout += c));
  child.stderr!.on('data', (c) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr }))),
  );
}

interface Running {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  wsPort: number;
  httpPort: number;
  exited: Promise<number | null>;
}

/** Starts `pushi serve` and waits for the start-up log line (and `until` in stdout, if given). */
function startCli(extra: Record<string, string>, cwd: string, until?: RegExp): Promise<Running> {
  const child = spawnCli(extra, cwd);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pushi did not start; stdout: ${out} stderr: ${err}`));
    }, 30_000);
    child.stderr!.on('data', (c) => (err += c));
    void exited.then((code) => reject(new Error(`pushi exited early (${code}): ${err}`)));
    child.stdout!.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.includes('"pushi started"'));
      if (!line || (until && !until.test(out))) return;
      clearTimeout(timer);
      const log = JSON.parse(line);
      const port = (u: string) => Number(new URL(u.replace('{key}', 'k')).port);
      resolve({ child, output: () => out, errors: () => err, wsPort: port(log.ws), httpPort: port(log.http), exited });
    });
  });
}

/** One line on stderr, no stack trace, exit 1. */
function assertOneLineError(r: Exit, pattern: RegExp) {
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
}

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'pushi-cli-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration errors: exit 1 with one line on stderr', () => {
  test('SERVER_PORT=abc names SERVER_PORT', async () => {
    assertOneLineError(await runToExit({ SERVER_PORT: 'abc' }, dir), /SERVER_PORT/);
  });

  test('SERVER_SSL=1 with a missing key file names the variable and the path', async () => {
    const r = await runToExit(
      { SERVER_SSL: '1', SERVER_SSL_KEY: join(dir, 'missing.key'), SERVER_SSL_CER: join(dir, 'missing.crt') },
      dir,
    );
    assertOneLineError(r, /SERVER_SSL_KEY.*missing\.key/);
  });

  test('a file that is not a PEM key, a broken apps file, an unknown LOG_LEVEL', async () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a key\nat all\n');
    const appsFile = join(dir, 'apps.json');
    writeFileSync(appsFile, '{\n  "apps": [\n    { "id": "a",\n');
    const base = { SERVER_PORT: '0', APP_PORT: '0', PUSHI_DB: join(dir, 'cfg.db') };
    const cases: [Record<string, string>, RegExp][] = [
      [{ SERVER_SSL: '1', SERVER_SSL_KEY: junk, SERVER_SSL_CER: junk }, /SERVER_SSL_KEY.*junk\.pem/],
      [{ PUSHI_APPS_FILE: appsFile }, /PUSHI_APPS_FILE.*apps\.json/],
      [{ LOG_LEVEL: 'chatty' }, /LOG_LEVEL.*chatty/],
    ];
    for (const [extra, pattern] of cases) assertOneLineError(await runToExit({ ...base, ...extra }, dir), pattern);
  });

  test('an incomplete app and a port already in use', async () => {
    assertOneLineError(await runToExit({ PUSHI_APP_ID: 'x', SERVER_PORT: '0', APP_PORT: '0' }, dir), /PUSHI_APP_KEY/);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = String((blocker.address() as { port: number }).port);
    try {
      const r = await runToExit({ SERVER_PORT: port, APP_PORT: '0', PUSHI_DB: join(dir, 'inuse.db') }, dir);
      assertOneLineError(r, new RegExp(`${port}.*in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('bare start: the default app', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  test('prints the default app; a restart reuses it; SIGTERM tells clients 4200 and exits 0', async () => {
    const cwd = mkdtempSync(join(dir, 'bare-'));
    const ports = { SERVER_PORT: '0', APP_PORT: '0' }; // no app, no database: only free ports
    const creds = (out: string) => {
      const m = /app id:\s+(\S+)\s+app key:\s+(\S+)\s+app secret:\s+(\S+)/.exec(out);
      assert.ok(m, `no default app in the output:\n${out}`);
      return { id: m[1], key: m[2], secret: m[3] };
    };

    const first = await startCli(ports, cwd, /app secret:/);
    children.push(first.child);
    const app = creds(first.output());
    assert.ok(existsSync(join(cwd, 'data', 'pushi.db')), 'the SQLite file is created under ./data');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.errors() + first.output());

    const second = await startCli(ports, cwd, /app secret:/);
    children.push(second.child);
    assert.deepEqual(creds(second.output()), app, 'the same app after a restart');

    // the printed credentials work: a client connects and receives a signed trigger
    const clients = await Promise.all(
      [0, 1].map(() => RawClient.established(`ws://127.0.0.1:${second.wsPort}/app/${app.key}?protocol=7`)),
    );
    await clients[0].subscribe('bare');
    const res = await trigger(
      `http://127.0.0.1:${second.httpPort}`,
      { name: 'hi', channel: 'bare', data: '1' },
      {
        appId: app.id,
        key: app.key,
        secret: app.secret,
      },
    );
    assert.equal(res.status, 200);
    await clients[0].waitFor((f) => f.event === 'hi');

    second.child.kill('SIGTERM');
    for (const c of clients) {
      assert.equal(await c.waitClose(10_000), 4200);
      assert.equal(decode(c.events('pusher:error')[0]).code, 4200);
    }
    assert.equal(await second.exited, 0, second.errors() + second.output());
  });
});
