#!/usr/bin/env node
// The pushi command: `pushi serve` runs the server; `pushi apps …` manages apps in the store.
import { ConfigError, loadConfig } from './config/config.ts';
import { createLogger } from './logger.ts';
import { createServer } from './server.ts';
import { runAppsCommand } from './cli/apps.ts';
import { announceWorker, isWorker, runWorkers, workersFlag } from './cli/workers.ts';
import { tuneHeapForServer } from './cli/gc-tuning.ts';

const USAGE = `Usage:
  pushi serve                 start the server (configuration from the environment; see README)
  pushi serve --workers [N]   N processes on one port, coordinated through PUSHI_REDIS_URL
                              (N defaults to the number of cores)
  pushi apps create NAME      create an app and print its credentials
  pushi apps list             list apps
  pushi apps show ID          show one app with its secret
  pushi apps delete ID        delete an app and everything stored for it`;

async function serve(args: string[] = []): Promise<void> {
  const workers = workersFlag(args);
  const config = loadConfig();
  const logger = createLogger(config.logLevel, config.logPretty || process.stdout.isTTY === true);
  if (workers !== undefined && workers > 1 && !isWorker()) return runWorkers(workers, config, logger);
  tuneHeapForServer();
  const server = await createServer(config, { logger });
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
  // SIGHUP (a supervisor's "reload"): the apps file is read again; the process keeps running.
  process.on('SIGHUP', () => {
    server.reloadApps().then(
      (ids) => logger.info({ apps: ids.length }, 'SIGHUP: apps reloaded'),
      (err: Error) => logger.error({ err: err.message }, 'SIGHUP: apps not reloaded; the previous ones stay'),
    );
  });
  const scheme = (tls: unknown, s: string) => (tls ? s + 's' : s);
  const ws = `${scheme(config.ws.tls, 'ws')}://${config.ws.host}:${server.wsPort}/app/{key}`;
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
  let banner: string | undefined;
  if (server.defaultApp) {
    const a = server.defaultApp;
    banner =
      `\nDefault app (kept across restarts in ${server.store.kind}):\n` +
      `  app id:     ${a.id}\n  app key:    ${a.key}\n  app secret: ${a.secret}\n` +
      `Configure real apps with PUSHI_APP_ID/PUSHI_APP_KEY/PUSHI_APP_SECRET, PUSHI_APPS_FILE, or \`pushi apps create NAME\`.\n\n`;
  }
  // A worker of `serve --workers N`: the primary prints the banner once for all of them.
  if (isWorker()) announceWorker({ ws, http, banner }, stop);
  else if (banner) process.stdout.write(banner);
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
    case undefined:
      return serve(rest);
    case 'apps':
      return runAppsCommand(rest, loadConfig());
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return;
    default:
      throw new ConfigError(`unknown command "${command}"\n${USAGE}`);
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
