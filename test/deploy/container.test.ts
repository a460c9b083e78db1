// The container files, checked without a Docker daemon: the Dockerfile passes a linter
// (dockerfile-utils), its image stage runs as a non-root user with the database in a /data volume,
// listens on 0.0.0.0 and starts as npm start does; the build context holds what it copies and no
// more; the HEALTHCHECK script tells a running server from a missing one. The build and start
// steps themselves run in `npm run container:smoke` (scripts/container-smoke.mjs), minutes long.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { startServer, type TestServer } from '../helpers/server.ts';
import { freePort } from '../helpers/tls.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(ROOT + file, 'utf8');
const dockerfile = read('Dockerfile');
/** The instructions of the image's stage (after the last FROM), continuation lines joined. */
const imageStage = dockerfile
  .slice(dockerfile.lastIndexOf('\nFROM '))
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .filter((l) => l.trim() && !l.trim().startsWith('#'));
const instruction = (op: string) => imageStage.filter((l) => l.startsWith(op + ' ')).map((l) => l.slice(op.length + 1));

test('the Dockerfile lints clean (dockerfile-utils, repeated CMD/HEALTHCHECK/ENTRYPOINT as errors)', () => {
  const problems = validate(dockerfile, {
    instructionCmdMultiple: ValidationSeverity.ERROR,
    instructionEntrypointMultiple: ValidationSeverity.ERROR,
    instructionHealthcheckMultiple: ValidationSeverity.ERROR,
    deprecatedMaintainer: ValidationSeverity.ERROR,
    emptyContinuationLine: ValidationSeverity.ERROR,
  });
  assert.deepEqual(
    problems.map((p) => `line ${p.range.start.line + 1}: ${p.message}`),
    [],
  );
  const broken = validate('FROM node:20\nHEALTHCHECK --intervl=5s CMD true\n', {});
  assert.ok(broken.length > 0, 'the linter does find problems');
});

test('the image: non-root, /data volume, 0.0.0.0, health check, npm start’s command without npm', () => {
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2, 'a build stage and the image stage');
  assert.deepEqual(instruction('USER'), ['node']);
  assert.deepEqual(instruction('VOLUME'), ['["/data"]']);
  const env = instruction('ENV').join(' ');
  assert.match(env, /\bSERVER_HOST=0\.0\.0\.0\b/);
  assert.match(env, /\bAPP_HOST=0\.0\.0\.0\b/);
  assert.match(env, /\bPUSHI_DB=\/data\//);
  assert.match(instruction('HEALTHCHECK')[0] ?? '', /CMD \["node", "scripts\/healthcheck\.mjs"\]$/);
  const start = JSON.parse(read('package.json')).scripts.start as string;
  assert.deepEqual(JSON.parse(instruction('CMD')[0]!), start.split(' '));
  assert.ok(
    instruction('COPY').every((c) => c.startsWith('--from=build')),
    'the image copies from the build stage only',
  );
  assert.doesNotMatch(dockerfile.slice(dockerfile.lastIndexOf('\nFROM ')), /\bsrc\b|devDependencies|npm install/);
  assert.match(dockerfile, /npm prune --omit=dev/, 'dev dependencies leave before the image stage copies');
});

test('.dockerignore lets in what the Dockerfile copies from the context, and nothing else', () => {
  const rules = read('.dockerignore')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'));
  assert.equal(rules[0], '*', 'everything out by default (node_modules, dist, data, .env…)');
  const allowed = rules.slice(1).map((r) => r.replace(/^!/, '').replace(/\/$/, ''));
  const copied = dockerfile
    .split('\n')
    .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
    .flatMap((l) => l.slice(5).trim().split(/\s+/).slice(0, -1));
  assert.deepEqual([...new Set(copied)].sort(), [...allowed].sort());
});

test('compose.yaml: two Pushi nodes on Redis and PostgreSQL', () => {
  const compose = read('compose.yaml');
  assert.match(compose, /^ {2}pushi-1:\n {4}<<: \*pushi/m);
  assert.match(compose, /^ {2}pushi-2:\n {4}<<: \*pushi/m);
  assert.match(compose, /PUSHI_REDIS_URL: redis:\/\/redis:6379/);
  assert.match(compose, /DATABASE_URL: postgres:\/\/pushi:.*@postgres:5432\/pushi/);
  assert.match(compose, /^ {2}postgres:\n {4}image: postgres:/m);
  assert.match(compose, /^ {2}redis:\n {4}image: redis:/m);
});

// The server runs in this process: the check runs as a child without blocking it.
let s: TestServer;
before(async () => (s = await startServer()));
after(() => s.close());
const check = (env: Record<string, string>) =>
  new Promise<{ status: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['scripts/healthcheck.mjs'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (status) => resolve({ status, stderr }));
  });

test('the HEALTHCHECK script passes on a running server and fails on a closed port', async () => {
  const up = await check({ APP_PORT: String(s.httpPort), SERVER_PORT: String(s.wsPort) });
  assert.equal(up.status, 0, up.stderr);
  const down = await check({ APP_PORT: String(await freePort()) });
  assert.equal(down.status, 1);
  assert.match(down.stderr, /health check failed: .*ECONNREFUSED/);
});
