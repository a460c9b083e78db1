// The `pushi` command as an operator meets it: configuration errors in one line (misspelt names
// answered with the nearest valid one), the default app on a first start (kept across restarts),
// SIGTERM → clients told 4200 and exit 0; --version, help, --env-file; TLS on a shared port.
// Runs src/cli.ts through the tsx loader, so no build step is needed and dist/ can't be stale.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { trigger } from '../helpers/signed-fetch.ts';
import { freePort, onFreePorts } from '../helpers/ports.ts';
import { httpsRequest, selfSignedCert } from '../helpers/tls.ts';

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

function runToExit(extra: Record<string, string>, cwd: string, args = ['serve']): Promise<Exit> {
  const child = spawnCli(extra, cwd, args);
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
function startCli(extra: Record<string, string>, cwd: string, until?: RegExp, args = ['serve']): Promise<Running> {
  const child = spawnCli(extra, cwd, args);
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pushi did not start; stdout: ${out} stderr: ${err}`));
    }, 30_000);
    child.stderr!.on('data', (c) => (err += c));
    void exited.then((code) => {
      const early: NodeJS.ErrnoException = new Error(`pushi exited early (${code}): ${err}`);
      // A port chosen before this start may have been taken meanwhile: onFreePorts retries on this code.
      if (/the port is in use/.test(err)) early.code = 'EADDRINUSE';
      reject(early);
    });
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

  test('logs the default app; a restart reuses it; SIGTERM tells clients 4200 and exits 0', async () => {
    const cwd = mkdtempSync(join(dir, 'bare-'));
    const ports = { SERVER_PORT: '0', APP_PORT: '0' }; // no app, no database: only free ports
    // Every stdout line is a JSON log record (no banner between them); the secret is not logged,
    // `pushi apps show ID` on the same database prints it.
    const creds = async (out: string) => {
      const records = out
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      const found = records.find((r) => r.defaultApp)?.defaultApp;
      assert.ok(found, `no default app in the output:\n${out}`);
      assert.doesNotMatch(out, /"secret"/);
      const shown = await runToExit({}, cwd, ['apps', 'show', found.id]);
      assert.equal(shown.code, 0, shown.stderr);
      return { id: found.id as string, key: found.key as string, secret: JSON.parse(shown.stdout).secret as string };
    };

    const first = await startCli(ports, cwd, /"defaultApp"/);
    children.push(first.child);
    const app = await creds(first.output());
    assert.ok(existsSync(join(cwd, 'data', 'pushi.db')), 'the SQLite file is created under ./data');
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.errors() + first.output());

    const second = await startCli(ports, cwd, /"defaultApp"/);
    children.push(second.child);
    assert.deepEqual(await creds(second.output()), app, 'the same app after a restart');

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

describe('commands: version, help, a bare pushi, --env-file', () => {
  test('--version and -v print package.json version; help, -h and --help print the usage', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    for (const flag of ['--version', '-v']) {
      const r = await runToExit({}, dir, [flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`);
    }
    for (const flag of ['help', '-h', '--help']) {
      const r = await runToExit({}, dir, [flag]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pushi serve .*start the server/);
      assert.match(r.stdout, /pushi apps import FILE/);
      assert.match(r.stdout, /--env-file FILE/);
    }
  });

  test('a bare pushi prints the usage and exits 1 without listening; a typo names the nearest command', async () => {
    const cwd = mkdtempSync(join(dir, 'bare-help-'));
    const bare = await runToExit({ SERVER_PORT: '0', APP_PORT: '0' }, cwd, []);
    assert.equal(bare.code, 1);
    assert.match(bare.stdout, /^Usage: pushi/);
    assert.ok(!existsSync(join(cwd, 'data')), 'no server started: no database made');
    assertOneLineError(await runToExit({}, cwd, ['serv']), /unknown command "serv" \(did you mean "serve"\?\)/);
  });

  test('--env-file configures the server; variables already set win; a missing file is one line', async () => {
    const cwd = mkdtempSync(join(dir, 'env-file-'));
    const file = join(cwd, 'pushi.env');
    writeFileSync(
      file,
      '# a comment\nPUSHI_APP_ID=from-file\nPUSHI_APP_KEY="file-key"\nPUSHI_APP_SECRET=file-secret\nSERVER_PORT=1\n',
    );
    const running = await startCli({ SERVER_PORT: '0', APP_PORT: '0' }, cwd, undefined, ['--env-file', file, 'serve']);
    assert.notEqual(running.wsPort, 1, 'SERVER_PORT from the environment wins over the file');
    const client = await RawClient.established(`ws://127.0.0.1:${running.wsPort}/app/file-key?protocol=7`);
    client.close();
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
    // Node itself looks at a --env-file anywhere on the command line (nodejs/node#54232) and stops
    // at a missing one before Pushi runs (exit 9); newer Node leaves it to Pushi (exit 1).
    const missing = await runToExit({}, cwd, ['--env-file', join(cwd, 'nope.env'), 'serve']);
    assert.notEqual(missing.code, 0);
    assert.equal(missing.stderr.trimEnd().split('\n').length, 1, missing.stderr);
    assert.match(missing.stderr, /nope\.env.*(not found|ENOENT)/);
  });
});

describe('misspelt configuration: refused at start-up, naming the nearest valid name', () => {
  test('an apps file with an unknown option, an unknown field, an out-of-range value', async () => {
    const base = { SERVER_PORT: '0', APP_PORT: '0', PUSHI_DB: join(dir, 'typo.db') };
    const app = { id: 'a1', key: 'k1', secret: 'secret-1' };
    const cases: [unknown, RegExp][] = [
      [
        { ...app, options: { clientEvent: true } },
        /app #1: unknown app option "clientEvent" \(did you mean "clientEvents"\?\)/,
      ],
      [{ ...app, options: { maxConections: 5 } }, /"maxConections" \(did you mean "maxConnections"\?\)/],
      [{ ...app, option: {} }, /app #1: unknown app field "option" \(did you mean "options"\?\)/],
      [{ ...app, options: { maxEventBytes: 0 } }, /maxEventBytes must be a whole number 1 or more, got 0/],
      [{ ...app, secret: 'short' }, /app #1: "secret" must be 8 to 256 characters long/],
    ];
    for (const [entry, pattern] of cases) {
      const file = join(dir, 'typo-apps.json');
      writeFileSync(file, JSON.stringify({ apps: [entry] }));
      assertOneLineError(
        await runToExit({ ...base, PUSHI_APPS_FILE: file }, dir),
        new RegExp(`PUSHI_APPS_FILE: .*${pattern.source}`),
      );
    }
  });

  test('an unknown PUSHI_ or SSL variable', async () => {
    const base = { SERVER_PORT: '0', APP_PORT: '0', PUSHI_DB: join(dir, 'env-typo.db') };
    const cases: [Record<string, string>, RegExp][] = [
      [{ PUSHI_APP_CLIENT_EVENT: '1' }, /"PUSHI_APP_CLIENT_EVENT" \(did you mean "PUSHI_APP_CLIENT_EVENTS"\?\)/],
      [{ SERVER_SSL_CERT: '/x.pem' }, /"SERVER_SSL_CERT" \(did you mean "SERVER_SSL_CER"\?\)/],
      [{ PUSHI_REDIS: 'redis://x' }, /unknown environment variable "PUSHI_REDIS"/],
    ];
    for (const [extra, pattern] of cases) assertOneLineError(await runToExit({ ...base, ...extra }, dir), pattern);
  });
});

describe('TLS on a shared port', () => {
  const cert = selfSignedCert();
  after(() => cert.remove());
  const tlsEnv = (port: string) => ({
    SERVER_PORT: port,
    APP_PORT: port,
    SERVER_SSL: '1',
    SERVER_SSL_KEY: cert.keyPath,
    SERVER_SSL_CER: cert.certPath,
    PUSHI_APP_ID: 'tls-app',
    PUSHI_APP_KEY: 'tls-key',
    PUSHI_APP_SECRET: 'tls-secret',
    PUSHI_DB: join(dir, 'tls.db'),
  });

  test('SERVER_SSL=1 applies to the API on the same port, and the log says https', async () => {
    const { port, running } = await onFreePorts(1, async ([p]) => ({
      port: String(p),
      running: await startCli(tlsEnv(String(p)), dir),
    }));
    const line = running
      .output()
      .split('\n')
      .find((l) => l.includes('"pushi started"'))!;
    assert.equal(JSON.parse(line).http, `https://127.0.0.1:${port}`);
    assert.equal((await httpsRequest(`https://127.0.0.1:${port}/health`)).status, 200);
    running.child.kill('SIGTERM');
    assert.equal(await running.exited, 0);
  });

  test('APP_SSL=0 against SERVER_SSL=1 on one port is refused, saying which setting serves', async () => {
    // Refused before anything listens, so the port is never bound.
    const r = await runToExit({ ...tlsEnv(String(await freePort())), APP_SSL: '0' }, dir);
    assertOneLineError(r, /SERVER_SSL=1 and APP_SSL=0 on the same 127\.0\.0\.1:\d+: one listener serves both/);
  });
});
