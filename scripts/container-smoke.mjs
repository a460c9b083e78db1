#!/usr/bin/env node
// The container image without a Docker daemon: reads the Dockerfile, performs its steps in a clean
// temporary directory (one directory per stage standing for its filesystem: COPY copies, RUN runs,
// ENV/WORKDIR/USER/CMD/HEALTHCHECK are kept), starts the last stage's CMD with its ENV, waits for
// its HEALTHCHECK, then checks it as a user would: a trigger over HTTP with the official `pusher`
// package arrives over a WebSocket; the bundle is served; no dev dependency is in the image.
//
// What a daemon would do and this cannot: pull the node:20 base image (the host's Node runs the
// steps; its major version must match the FROM tag), run apt-get (the packages it names must be on
// the host instead), switch to USER or chown (noted; files are the caller's). Absolute paths in
// ENV values and COPY targets are placed under the stage's directory.
//
//   node scripts/container-smoke.mjs [--keep]      (npm run container:smoke)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import Pusher from 'pusher';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Dockerfile lines → [{op, args}] (continuations joined, comments dropped). */
export function parseDockerfile(text) {
  const out = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const space = full.indexOf(' ');
    out.push({ op: full.slice(0, space).toUpperCase(), args: full.slice(space + 1).trim() });
  }
  return out;
}

/** `--from=build --chown=a:b src dest` → {flags, words}; exec-form JSON arrays are parsed. */
function words(args) {
  const flags = {};
  const list = [];
  for (const w of args.split(/\s+/)) {
    const m = /^--([a-z-]+)=(.*)$/.exec(w);
    if (m && list.length === 0) flags[m[1]] = m[2];
    else list.push(w);
  }
  return { flags, list };
}

/** `K=V K2="V 2"` (ENV) → entries. */
function envPairs(args) {
  const pairs = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g;
  for (let m; (m = re.exec(args));) pairs.push([m[1], m[3] ?? m[2]]);
  return pairs;
}

/** HEALTHCHECK [--opt=v …] CMD ["…"] → the exec form's argv. */
function execForm(args) {
  const json = args.slice(args.indexOf('['));
  return JSON.parse(json);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const log = (msg) => process.stdout.write(`container-smoke: ${msg}\n`);

/** The environment a step sees: PATH and HOME from here, nothing of Pushi's, then the stage's ENV. */
function stepEnv(stageEnv) {
  const out = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'npm_config_cache', 'npm_config_registry']) {
    if (process.env[k] !== undefined) out[k] = process.env[k];
  }
  return { ...out, ...stageEnv };
}

/** Performs every step; returns the last stage (its directory, ENV, CMD, HEALTHCHECK) and notes. */
export function build(dockerfile, work) {
  const stages = new Map();
  const notes = [];
  let stage;
  const inStage = (s, p) => join(s.root, posix.resolve(s.workdir, p));
  for (const { op, args } of parseDockerfile(dockerfile)) {
    switch (op) {
      case 'FROM': {
        const { list } = words(args);
        const image = list[0];
        const name = list[2] ?? String(stages.size);
        const major = /^node:(\d+)/.exec(image)?.[1];
        if (major !== process.versions.node.split('.')[0])
          throw new Error(`FROM ${image}: the host runs Node ${process.versions.node}; the steps need Node ${major}`);
        stage = { name, root: join(work, `stage-${name}`), workdir: '/', env: {}, user: 'root' };
        mkdirSync(stage.root, { recursive: true });
        stages.set(name, stage);
        log(`FROM ${image} (host Node ${process.versions.node}) as ${name}`);
        break;
      }
      case 'WORKDIR':
        stage.workdir = posix.resolve(stage.workdir, args);
        mkdirSync(join(stage.root, stage.workdir), { recursive: true });
        break;
      case 'ENV':
        for (const [k, v] of envPairs(args)) stage.env[k] = v;
        break;
      case 'COPY': {
        const { flags, list } = words(args);
        const dest = list.pop();
        const from = flags.from ? stages.get(flags.from) : undefined;
        if (flags.from && !from) throw new Error(`COPY --from=${flags.from}: no such stage`);
        if (flags.chown) notes.push(`COPY --chown=${flags.chown} ${dest}: files keep this user's ownership`);
        const target = inStage(stage, dest);
        const intoDir = dest.endsWith('/') || list.length > 1;
        for (const src of list) {
          const source = from ? join(from.root, posix.resolve(from.workdir, src)) : join(ROOT, src);
          if (!existsSync(source)) throw new Error(`COPY ${src}: not found (${source})`);
          const to = intoDir ? join(target, posix.basename(src)) : target;
          mkdirSync(dirname(to), { recursive: true });
          cpSync(source, to, { recursive: true });
        }
        break;
      }
      case 'RUN': {
        if (/\bapt-get\b/.test(args)) {
          const pkgs = /install\s+(?:-\S+\s+)*([^&;]+)/.exec(args)?.[1].trim().split(/\s+/) ?? [];
          const tools = pkgs.map((p) => ({ 'g++': 'g++' })[p] ?? p);
          const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
          if (missing.length) throw new Error(`RUN apt-get: ${missing.join(', ')} missing on this host`);
          notes.push(`RUN apt-get (${pkgs.join(' ')}): not run; the host has them`);
          break;
        }
        log(`RUN ${args}`);
        const cwd = join(stage.root, stage.workdir);
        const r = spawnSync('sh', ['-c', args], { cwd, env: stepEnv(placed(stage)), stdio: 'inherit' });
        if (r.status !== 0) throw new Error(`RUN ${args}: exit ${r.status}`);
        break;
      }
      case 'USER':
        stage.user = args;
        notes.push(`USER ${args}: the process runs as ${process.env.USER ?? 'this user'}`);
        break;
      case 'VOLUME':
      case 'EXPOSE':
        stage[op.toLowerCase()] = args;
        break;
      case 'HEALTHCHECK':
        stage.healthcheck = execForm(args);
        break;
      case 'CMD':
        stage.cmd = JSON.parse(args);
        break;
      default:
        throw new Error(`${op}: not understood by this script`);
    }
  }
  return { stage, notes };
}

/** The stage's ENV with absolute paths placed under its directory (PUSHI_DB=/data/… → stage/data/…). */
function placed(stage) {
  const env = {};
  for (const [k, v] of Object.entries(stage.env)) env[k] = v.startsWith('/') ? join(stage.root, v) : v;
  return env;
}

async function waitHealthy(stage, env, child) {
  const [cmd, ...args] = stage.healthcheck;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the server exited (${child.exitCode})`);
    const r = spawnSync(cmd, args, { cwd: join(stage.root, stage.workdir), env, encoding: 'utf8' });
    if (r.status === 0) return;
    await new Promise((res) => setTimeout(res, 250));
  }
  throw new Error('HEALTHCHECK did not pass within 60 s');
}

/** Starts CMD as `docker run -e …` would, and checks it as a user of the image would. */
async function acceptance(stage) {
  const [wsPort, httpPort] = [await freePort(), await freePort()];
  const app = { id: 'smoke', key: 'smoke-key', secret: 'smoke-secret' };
  // The run's own settings, as `docker run -e` gives them: ports free on this machine, an app.
  const runEnv = {
    SERVER_PORT: String(wsPort),
    APP_PORT: String(httpPort),
    PUSHI_APP_ID: app.id,
    PUSHI_APP_KEY: app.key,
    PUSHI_APP_SECRET: app.secret,
    LOG_LEVEL: 'warn',
  };
  const env = stepEnv({ ...placed(stage), ...runEnv });
  const [cmd, ...args] = stage.cmd;
  const cwd = join(stage.root, stage.workdir);
  log(`CMD ${stage.cmd.join(' ')} (SERVER_HOST=${env.SERVER_HOST}, ports ${wsPort}/${httpPort})`);
  const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
  let failure;
  try {
    await waitHealthy(stage, env, child);
    log('HEALTHCHECK passes');
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}/app/${app.key}?protocol=7&client=js&version=8.4.0`);
    const frames = [];
    const arrived = new Promise((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (raw) => {
        const f = JSON.parse(String(raw));
        frames.push(f);
        if (f.event === 'pusher:connection_established')
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'smoke' } }));
        if (f.event === 'pusher_internal:subscription_succeeded') resolve('subscribed');
      });
    });
    await arrived;
    const pusher = new Pusher({
      appId: app.id,
      key: app.key,
      secret: app.secret,
      host: '127.0.0.1',
      port: String(httpPort),
    });
    const received = new Promise((resolve) =>
      ws.on('message', (raw) => {
        const f = JSON.parse(String(raw));
        if (f.event === 'greeting') resolve(f);
      }),
    );
    const res = await pusher.trigger('smoke', 'greeting', { hello: 'container' });
    if (res.status !== 200) throw new Error(`trigger answered ${res.status}`);
    const frame = await Promise.race([
      received,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no event within 10 s')), 10_000)),
    ]);
    if (JSON.parse(frame.data).hello !== 'container') throw new Error(`wrong data ${frame.data}`);
    log('a trigger with the pusher package arrived over the WebSocket');
    ws.close();
    const bundle = await fetch(`http://127.0.0.1:${httpPort}/pushi.js`);
    if (bundle.status !== 200) throw new Error(`GET /pushi.js answered ${bundle.status}`);
    await bundle.arrayBuffer();
    if (!existsSync(env.PUSHI_DB)) throw new Error(`no database at PUSHI_DB (${env.PUSHI_DB})`);
    log(`the browser bundle is served; the database is in the volume (${stage.env.PUSHI_DB})`);
  } catch (err) {
    failure = err;
  }
  const exited = new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
  child.kill('SIGTERM');
  const code = await exited;
  if (failure) throw failure;
  if (code !== 0) throw new Error(`SIGTERM: the server exited ${code}`);
  log('SIGTERM: exit 0');
}

/** The image holds production dependencies only. */
function checkImageContents(stage) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const modules = join(stage.root, stage.workdir, 'node_modules');
  const dev = Object.keys(pkg.devDependencies).filter((d) => existsSync(join(modules, d)));
  if (dev.length) throw new Error(`dev dependencies in the image: ${dev.join(', ')}`);
  const missing = Object.keys(pkg.dependencies).filter((d) => !existsSync(join(modules, d)));
  if (missing.length) throw new Error(`dependencies missing from the image: ${missing.join(', ')}`);
  if (existsSync(join(stage.root, stage.workdir, 'src'))) throw new Error('src/ is in the image');
  log('node_modules holds the production dependencies only; no src/');
}

async function main() {
  const keep = process.argv.includes('--keep');
  const work = mkdtempSync(join(tmpdir(), 'pushi-container-'));
  try {
    const { stage, notes } = build(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'), work);
    for (const n of notes) log(`note: ${n}`);
    checkImageContents(stage);
    await acceptance(stage);
    log('passed');
  } finally {
    if (keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err) => {
    process.stderr.write(`container-smoke: FAILED: ${err.message}\n`);
    process.exit(1);
  });
}
