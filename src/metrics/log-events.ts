// Log lines for hub events and the start-up configuration. Never secrets, never payloads.
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import type { HubObserver } from '../hub/observer.ts';
import { logThrottle } from './log-throttle.ts';

const EVERY_MS = 1000;

/** "connection rejected" with the code and why; under a flood, one line per code per second. */
export function loggingObserver(logger: Logger): HubObserver {
  const pass = logThrottle<number>(EVERY_MS);
  return {
    connectionRejected(appKey, code, reason) {
      const suppressed = pass(code);
      if (suppressed === undefined) return;
      // The key is public (it is in every browser), but attacker-chosen: bounded.
      logger.info({ appKey: appKey.slice(0, 64), code, reason, suppressed }, 'connection rejected');
    },
  };
}

/** The effective configuration with credentials removed (for the start-up line). */
export function effectiveConfig(config: Config): Record<string, unknown> {
  const { ws, http, apps, storage, redisUrl, adminToken, smtpUrl, ...rest } = config;
  return {
    ...rest,
    ws: { host: ws.host, port: ws.port, tls: Boolean(ws.tls) },
    http: { host: http.host, port: http.port, tls: Boolean(http.tls) },
    apps: {
      envApp: apps.envApp ? { id: apps.envApp.id, key: apps.envApp.key, options: apps.envApp.options } : undefined,
      file: apps.file,
    },
    storage: {
      kind: storage.databaseUrl ? 'postgres' : 'sqlite',
      database: storage.databaseUrl ? withoutCredentials(storage.databaseUrl) : storage.sqlitePath,
      schema: storage.databaseSchema,
    },
    redis: redisUrl ? withoutCredentials(redisUrl) : undefined,
    smtp: smtpUrl ? withoutCredentials(smtpUrl) : undefined,
    adminApi: adminToken ? 'on' : 'off',
  };
}

function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
