// `pushi serve --workers N`: N worker processes on one port; each worker is a full node, and the
// workers coordinate through the Redis adapter exactly as separate machines would. The primary only
// starts, watches and stops them: it loads none of the server's code.
//
// Connections: each worker accepts from the shared listening socket itself (SCHED_NONE). node's
// default round-robin has the primary accept every socket and pass it to a worker over IPC, one at
// a time per worker, waiting for the worker's answer: measured at 100,000 connections on 2 cores,
// that cost the workers and the primary about as much CPU as the rest of the connection together
// (RSS and timings in docs/performance.md). A worker that reaches its cap stops accepting
// (transport/intake-guard.ts). NODE_CLUSTER_SCHED_POLICY=rr keeps node's round-robin.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config/config.ts';
import { gatherForWorkers } from '../metrics/workers.ts';
import { announceDefaultApp, type DefaultAppNotice } from './default-app.ts';

interface ReadyMessage {
  type: 'pushi:ready';
  ws: string;
  http: string;
  defaultApp?: DefaultAppNotice;
}

const RESTART_MIN_MS = 500;
const RESTART_MAX_MS = 30_000;

/** The worker count from `serve` arguments: undefined without --workers; the core count by default. */
export function workersFlag(args: string[]): number | undefined {
  let n: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a !== '--workers' && !a.startsWith('--workers='))
      throw new ConfigError(`unknown option "${a}" for serve (options: --workers N)`);
    let raw = a.includes('=') ? a.slice(a.indexOf('=') + 1) : undefined;
    if (raw === undefined && args[i + 1] !== undefined && !args[i + 1].startsWith('-')) raw = args[++i];
    if (raw === undefined || raw === 'auto') n = availableParallelism();
    else if (/^\d+$/.test(raw) && Number(raw) >= 1 && Number(raw) <= 256) n = Number(raw);
    else throw new ConfigError(`--workers must be a whole number from 1 to 256 (or "auto"), got "${raw}"`);
  }
  return n;
}

export const isWorker = (): boolean => cluster.isWorker;

/** In a worker: tells the primary we listen (and what to print once); follows it if it dies. */
export function announceWorker(ready: Omit<ReadyMessage, 'type'>, stop: (why: string) => void): void {
  process.send?.({ type: 'pushi:ready', ...ready } satisfies ReadyMessage);
  process.on('disconnect', () => stop('primary process gone'));
}

/** The primary: forks and supervises the workers until SIGTERM/SIGINT. */
export async function runWorkers(n: number, config: Config, logger: Logger, humanReader: boolean): Promise<void> {
  if (!config.redisUrl) {
    throw new ConfigError(
      `multi-worker mode (--workers ${n}) needs Redis to share channels and presence between workers: ` +
        'set PUSHI_REDIS_URL=redis://host:6379',
    );
  }
  if (!process.env.NODE_CLUSTER_SCHED_POLICY) cluster.schedulingPolicy = cluster.SCHED_NONE;
  gatherForWorkers(); // a scrape of /metrics on any worker answers for all of them
  let stopping = false;
  let backoff = RESTART_MIN_MS;
  const fork = () =>
    new Promise<{ worker: Worker; ready?: ReadyMessage }>((resolve) => {
      const worker = cluster.fork();
      const onMessage = (m: ReadyMessage) => {
        if (m?.type !== 'pushi:ready') return;
        worker.off('exit', onExit);
        resolve({ worker, ready: m });
      };
      const onExit = () => {
        worker.off('message', onMessage);
        resolve({ worker });
      };
      worker.on('message', onMessage);
      worker.once('exit', onExit);
    });

  // One worker first: it migrates the store and seeds the apps; the others then find them done.
  const first = await fork();
  if (!first.ready) process.exit(1); // the worker printed why
  const rest = await Promise.all(Array.from({ length: n - 1 }, fork));
  if (rest.some((r) => !r.ready)) {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(1);
  }
  logger.info({ ws: first.ready.ws, http: first.ready.http, workers: n, redis: 'on' }, 'pushi started');
  if (first.ready.defaultApp) announceDefaultApp(logger, first.ready.defaultApp, humanReader);

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: backoff }, 'worker died; starting a new one');
    const wait = backoff;
    backoff = Math.min(backoff * 2, RESTART_MAX_MS);
    setTimeout(() => {
      if (stopping) return;
      void fork().then((r) => {
        if (r.ready) backoff = RESTART_MIN_MS; // healthy again: next crash restarts quickly
      });
    }, wait);
  });

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const exits = workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once('exit', () => r()))));
    for (const w of workers) w.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, config.shutdownGraceMs + 5000);
    void Promise.all(exits).then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Every worker reloads the apps file (the store is shared; each updates its own open sockets).
  process.on('SIGHUP', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGHUP');
  });
}
