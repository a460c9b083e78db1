// The deploy recipes docs/deploy.md shows (examples/deploy/) pass the real tools' own checks: the
// nginx site under `nginx -t` (with a throwaway certificate in place of Let's Encrypt's), the
// Caddyfile under `caddy validate`, the systemd unit under `systemd-analyze verify`. Both proxies
// also run for real in front of a Pushi server mounted under /pushi: a wss:// client subscribes
// through each and receives a triggered event, and /pushi/health answers through each. Locally a
// missing tool skips with the reason; in CI (.ci/run installs them) it is a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onFreePorts } from '../helpers/ports.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { httpsRequest, selfSignedCert, type SelfSigned } from '../helpers/tls.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** Where `name` is installed: PATH, plus the sbin directories a non-root PATH may lack. */
function findTool(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/sbin'];
  return dirs
    .filter((d) => d.startsWith('/'))
    .map((d) => join(d, name))
    .find((p) => existsSync(p));
}

interface Tool {
  /** The `skip` of its test: the reason when the tool is missing outside CI, else false. */
  skip: string | false;
  /** The tool's path; under CI a missing tool fails here. */
  require(): string;
}

function tool(name: string, debianPackage: string): Tool {
  const path = findTool(name);
  const reason = `${name} is not installed (apt-get install ${debianPackage})`;
  return {
    skip: !path && process.env.CI !== 'true' ? reason : false,
    require() {
      assert.ok(path, `CI=true and ${reason}: .ci/run must install it`);
      return path;
    },
  };
}

interface Run {
  status: number | null;
  output: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env, timeout: 60_000 });
  if (r.error) throw r.error;
  return { status: r.status, output: r.stdout + r.stderr };
}

function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'pushi-deploy-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const nginx = tool('nginx', 'nginx');
const caddy = tool('caddy', 'caddy');
const systemdAnalyze = tool('systemd-analyze', 'systemd');

/** The recipe's certificate paths pointed at a throwaway certificate. */
const withCert = (site: string, cert: SelfSigned) =>
  site
    .replace(/\/etc\/letsencrypt\/live\/[^/\s]+\/fullchain\.pem/g, cert.certPath)
    .replace(/\/etc\/letsencrypt\/live\/[^/\s]+\/privkey\.pem/g, cert.keyPath);

/** A minimal main configuration around the site, with pid, logs and temp paths in `dir`. */
function nginxMain(site: string, dir: string, top: string[] = []): string {
  const siteFile = join(dir, 'pushi.conf');
  writeFileSync(siteFile, site);
  const temp = (what: string) => `    ${what}_temp_path ${join(dir, what)};`;
  const main = join(dir, 'nginx.conf');
  writeFileSync(
    main,
    [
      `pid ${join(dir, 'nginx.pid')};`,
      ...top,
      'events {}',
      'http {',
      '    access_log off;',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
      `    include ${siteFile};`,
      '}',
    ].join('\n'),
  );
  return main;
}

/** `nginx -t` on the site (nginx -t reads the certificate files, so a real pair stands in). */
function nginxCheck(site: string, dir: string): Run {
  const cert = selfSignedCert();
  try {
    const main = nginxMain(withCert(site, cert), dir, [`error_log ${join(dir, 'error.log')};`]);
    return run(nginx.require(), ['-t', '-q', '-p', dir, '-e', join(dir, 'error.log'), '-c', main]);
  } finally {
    cert.remove();
  }
}

test('the nginx site passes nginx -t (a WebSocket location, the API location, TLS)', { skip: nginx.skip }, () => {
  const site = read('examples/deploy/nginx.conf');
  const ok = withTempDir((dir) => nginxCheck(site, dir));
  assert.equal(ok.status, 0, ok.output);
  // The check reads the configuration for real: a directive this nginx lacks fails it.
  const broken = withTempDir((dir) => nginxCheck(site.replace('proxy_read_timeout', 'proxy_read_timout'), dir));
  assert.notEqual(broken.status, 0);
  assert.match(broken.output, /unknown directive "proxy_read_timout"/);
});

interface Proxy {
  stop(): Promise<void>;
}

/**
 * Runs a proxy in the foreground; resolves once its log (stderr) has matched every `ready` pattern.
 * A port taken meanwhile rejects with EADDRINUSE, for onFreePorts to try other ports.
 */
function startProxy(cmd: string, args: string[], ready: RegExp[], env = process.env): Promise<Proxy> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (c) => {
      log += c;
      if (ready.every((r) => r.test(log))) resolve({ stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then(() => {
      const err: NodeJS.ErrnoException = new Error(`${cmd} stopped: ${log}`);
      if (/address already in use/i.test(log)) err.code = 'EADDRINUSE';
      reject(err);
    });
  });
}

/** nginx in the foreground on the site; its master starts the workers once its listeners are open. */
function startNginx(site: string, dir: string): Promise<Proxy> {
  const main = nginxMain(site, dir, ['daemon off;', 'error_log stderr notice;']);
  return startProxy(nginx.require(), ['-p', dir, '-e', 'stderr', '-c', main], [/start worker process/]);
}

/**
 * Through the proxy on `port`: a wss:// client under /pushi/app/ subscribes and receives an event
 * triggered on the API directly (as back ends do, the page says), and /pushi/health answers 200.
 */
async function checkThrough(port: number, ts: TestServer): Promise<void> {
  const url = `wss://127.0.0.1:${port}/pushi/app/${ts.app.key}?protocol=7&client=js&version=8.4.0`;
  const client = await RawClient.established(url, { rejectUnauthorized: false });
  try {
    await client.subscribe('news');
    await ts.sdk().trigger('news', 'hello', { via: port });
    const event = await client.waitFor((f) => f.event === 'hello');
    assert.deepEqual(JSON.parse(event.data as string), { via: port });
  } finally {
    client.close();
  }
  const health = await httpsRequest(`https://127.0.0.1:${port}/pushi/health`);
  assert.equal(health.status, 200, health.body);
}

/** A Pushi server set up as the page says for a proxy in front: mounted under /pushi. */
const startBehindProxy = () => startServer({ env: { PUSHI_PATH_PREFIX: '/pushi', PUSHI_TRUST_FORWARDED_FOR: '1' } });

/**
 * A Pushi server mounted under /pushi, as the page sets it up behind a proxy, and the proxy `start`
 * makes on a free port, with a temp dir, in front of it: checkThrough passes through it.
 */
async function checkProxy(start: (ts: TestServer, port: number, dir: string) => Promise<Proxy>): Promise<void> {
  const ts = await startBehindProxy();
  const dir = mkdtempSync(join(tmpdir(), 'pushi-proxy-'));
  try {
    const { port, proxy } = await onFreePorts(1, async ([p]) => ({ port: p, proxy: await start(ts, p, dir) }));
    try {
      await checkThrough(port, ts);
    } finally {
      await proxy.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await ts.close();
  }
}

/** The recipe's upstream addresses pointed at the test server's ports. */
const toServer = (recipe: string, ts: TestServer) =>
  recipe
    .replaceAll('127.0.0.1:9090', `127.0.0.1:${ts.wsPort}`)
    .replaceAll('127.0.0.1:8080', `127.0.0.1:${ts.httpPort}`);

test('the nginx site carries WebSocket clients and the API to Pushi under /pushi', { skip: nginx.skip }, async () => {
  const recipe = read('examples/deploy/nginx.conf');
  assert.match(recipe, /^ {4}listen 443 ssl;$/m);
  const cert = selfSignedCert();
  try {
    await checkProxy((ts, port, dir) =>
      startNginx(withCert(toServer(recipe, ts), cert).replace('listen 443 ssl;', `listen 127.0.0.1:${port} ssl;`), dir),
    );
  } finally {
    cert.remove();
  }
});

/** `caddy validate` with Caddy's home (certificate storage, autosave) in `dir`. */
function caddyCheck(caddyfile: string, dir: string): Run {
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  return run(caddy.require(), ['validate', '--adapter', 'caddyfile', '--config', file], env);
}

test('the Caddyfile passes caddy validate', { skip: caddy.skip }, () => {
  const caddyfile = read('examples/deploy/Caddyfile');
  const ok = withTempDir((dir) => caddyCheck(caddyfile, dir));
  assert.equal(ok.status, 0, ok.output);
  assert.match(ok.output, /Valid configuration/);
  assert.doesNotMatch(ok.output, /not formatted/, 'the Caddyfile is as `caddy fmt` writes it (tabs)');
  const broken = withTempDir((dir) => caddyCheck(caddyfile.replace('flush_interval', 'flush_intervall'), dir));
  assert.notEqual(broken.status, 0);
  assert.match(broken.output, /flush_intervall/);
});

/**
 * Caddy in the foreground on the Caddyfile, served at https://127.0.0.1:`port` with a certificate
 * from Caddy's own local CA (not installed in the system's trust store) and no HTTP redirect
 * listener; ready once it serves the configuration and holds the certificate.
 */
function startCaddy(caddyfile: string, port: number, dir: string): Promise<Proxy> {
  const globals = [
    '{',
    'admin off',
    'skip_install_trust',
    'auto_https disable_redirects',
    `storage file_system ${dir}`,
    '}',
  ];
  const file = join(dir, 'Caddyfile');
  writeFileSync(
    file,
    [...globals, caddyfile.replace(/^realtime\.example\.com \{/m, `https://127.0.0.1:${port} {`)].join('\n'),
  );
  const env = { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir };
  const ready = [/serving initial configuration/, /certificate obtained successfully/];
  return startProxy(caddy.require(), ['run', '--adapter', 'caddyfile', '--config', file], ready, env);
}

test('the Caddyfile carries WebSocket clients and the API to Pushi under /pushi', { skip: caddy.skip }, async () => {
  const recipe = read('examples/deploy/Caddyfile');
  assert.match(recipe, /^realtime\.example\.com \{/m);
  await checkProxy((ts, port, dir) => startCaddy(toServer(recipe, ts), port, dir));
});

/**
 * `systemd-analyze verify` on the unit, with node where this machine has it. The tool exits 0 on
 * unknown keys and bad values (it ignores them, as systemd would), so any line naming the unit fails.
 */
function unitCheck(unit: string, dir: string): Run & { unitLines: string[] } {
  const file = join(dir, 'pushi.service');
  writeFileSync(file, unit.replace(/^ExecStart=\/usr\/bin\/node /m, `ExecStart=${process.execPath} `));
  const r = run(systemdAnalyze.require(), ['verify', file]);
  return { ...r, unitLines: r.output.split('\n').filter((l) => l.includes('pushi.service')) };
}

test('the systemd unit passes systemd-analyze verify with nothing said about it', { skip: systemdAnalyze.skip }, () => {
  const unit = read('examples/deploy/pushi.service');
  assert.match(unit, /^ExecStart=\/usr\/bin\/node /m, 'the unit starts node (the test points it at this one)');
  const ok = withTempDir((dir) => unitCheck(unit, dir));
  assert.equal(ok.status, 0, ok.output);
  assert.deepEqual(ok.unitLines, []);
  const broken = withTempDir((dir) => unitCheck(unit.replace('Restart=on-failure', 'Restart=on-failur'), dir));
  assert.match(broken.unitLines.join('\n'), /on-failur/);
});
