#!/usr/bin/env node
// The pushi command: `pushi serve` runs the server; `pushi apps …` manages apps in the store.
import { ConfigError, loadConfig } from './config/config.ts';
import { unknownName } from './apps/nearest-name.ts';
import { createLogger } from './logger.ts';
import { announceWorker, isWorker, runWorkers, workersFlag } from './cli/workers.ts';
import { tuneHeapForServer } from './cli/gc-tuning.ts';
import { takeEnvFiles } from './cli/env-file.ts';
import { USAGE, version } from './cli/usage.ts';
import { announceDefaultApp } from './cli/default-app.ts';

const COMMANDS = ['serve', 'apps', 'help', '--help', '-h', '--version', '-v'];

async function serve(args: string[] = []): Promise<void> {
  const workers = workersFlag(args);
  const config = loadConfig();
  const humanReader = config.logPretty || process.stdout.isTTY === true;
  const logger = createLogger(config.logLevel, humanReader);
  if (workers !== undefined && workers > 1 && !isWorker()) return runWorkers(workers, config, logger, humanReader);
  // SIGHUP (a supervisor's "reload"): the apps file is read again; the process keeps running.
  // Handled from the start (its default kills the process): one asked for during start-up runs
  // once the server is up.
  let reloadAsked = false;
  let reload = () => void (reloadAsked = true);
  process.on('SIGHUP', () => reload());
  tuneHeapForServer();
  // Imported here: the primary of `--workers N` (above) and `pushi apps` never load the server.
  const { createServer } = await import('./server.ts');
  const server = await createServer(config, { logger });
  reload = () =>
    void server.reloadApps().then(
      (ids) => logger.info({ apps: ids.length }, 'SIGHUP: apps reloaded'),
      (err: Error) => logger.error({ err: err.message }, 'SIGHUP: apps not reloaded; the previous ones stay'),
    );
  if (reloadAsked) reload();
  // Before announcing readiness: a supervisor may send SIGTERM as soon as it sees the banner.
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: clients told to reconnect (4200)');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  const scheme = (tls: unknown, s: string) => (tls ? s + 's' : s);
  const ws = `${scheme(config.ws.tls, 'ws')}://${config.ws.host}:${server.wsPort}/app/{key}`;
  // On a shared port config.http.tls is the WebSocket listener's (config.ts).
  const http = `${scheme(config.http.tls, 'http')}://${config.http.host}:${server.httpPort}`;
  logger.info(
    {
      ws,
      http,
      store: server.store.kind,
      redis: config.redisUrl ? 'on' : 'off',
      activityTimeout: config.activityTimeout,
      adminApi: config.adminToken ? 'on' : 'off',
    },
    isWorker() ? 'worker started' : 'pushi started',
  );
  const defaultApp = server.defaultApp && { ...server.defaultApp, store: server.store.kind };
  // A worker of `serve --workers N`: the primary announces the default app once for all of them.
  if (isWorker()) announceWorker({ ws, http, defaultApp }, stop);
  else if (defaultApp) announceDefaultApp(logger, defaultApp, humanReader);
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = takeEnvFiles(argv);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'apps':
      return (await import('./cli/apps.ts')).runAppsCommand(rest, loadConfig());
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return;
    case '-v':
    case '--version':
      process.stdout.write(version() + '\n');
      return;
    case undefined:
      // Help, not a server: a command that starts listening should say so (npm start says `serve`).
      process.stdout.write(USAGE + '\n');
      process.exitCode = 1;
      return;
    default:
      throw new ConfigError(`${unknownName('command', command, COMMANDS)}; \`pushi help\` lists them`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  // Configuration and start-up problems: one clear line, no stack trace.
  const message = err instanceof ConfigError ? err.message : describeStartupError(err);
  process.stderr.write(`pushi: ${message}\n`);
  process.exit(1);
});

function describeStartupError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE') return `cannot listen on ${e.address}:${e.port}: the port is in use`;
  if (e?.code === 'EACCES') return `cannot listen on ${e.address}:${e.port}: permission denied`;
  if (e?.code === 'EADDRNOTAVAIL') return `cannot listen on ${e.address}: address not available`;
  return e?.message ?? String(err);
}
