// The deploy recipes docs/deploy.md shows (examples/deploy/) pass the real tools' own checks: the
// nginx site under `nginx -t` (with a throwaway certificate in place of Let's Encrypt's), the
// Caddyfile under `caddy validate`, the systemd unit under `systemd-analyze verify`. Locally a
// missing tool skips with the reason; in CI (.ci/run installs them) it is a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { selfSignedCert } from '../helpers/tls.ts';

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
  path: string | undefined;
  /** The `skip` of its test: the reason when the tool is missing outside CI, else false. */
  skip: string | false;
  /** The tool's path; under CI a missing tool fails here. */
  require(): string;
}

function tool(name: string, debianPackage: string): Tool {
  const path = findTool(name);
  const reason = `${name} is not installed (apt-get install ${debianPackage})`;
  return {
    path,
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

/**
 * `nginx -t` on the site inside a minimal main configuration whose pid, logs and temp paths are in
 * `dir`, the certificate paths pointing at a throwaway certificate (nginx -t reads them).
 */
function nginxCheck(site: string, dir: string): Run {
  const cert = selfSignedCert();
  try {
    const siteFile = join(dir, 'pushi.conf');
    writeFileSync(
      siteFile,
      site
        .replace(/\/etc\/letsencrypt\/live\/[^/\s]+\/fullchain\.pem/g, cert.certPath)
        .replace(/\/etc\/letsencrypt\/live\/[^/\s]+\/privkey\.pem/g, cert.keyPath),
    );
    const temp = (what: string) => `${what}_temp_path ${join(dir, what)};`;
    const main = join(dir, 'nginx.conf');
    writeFileSync(
      main,
      [
        `pid ${join(dir, 'nginx.pid')};`,
        `error_log ${join(dir, 'error.log')};`,
        'events {}',
        'http {',
        '    access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => '    ' + temp(t)),
        `    include ${siteFile};`,
        '}',
      ].join('\n'),
    );
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
  const broken = withTempDir((dir) => caddyCheck(caddyfile.replace('flush_interval', 'flush_intervall'), dir));
  assert.notEqual(broken.status, 0);
  assert.match(broken.output, /flush_intervall/);
});

/**
 * `systemd-analyze verify` on the unit, with node where this machine has it. The tool exits 0 on
 * unknown keys and bad values (it ignores them, as systemd would), so any line naming the unit fails.
 */
function unitCheck(unit: string, dir: string): Run & { unitLines: string[] } {
  const file = join(dir, 'pushi.service');
  mkdirSync(dir, { recursive: true });
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
