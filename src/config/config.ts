// Environment → one typed, validated Config. Every variable is documented in docs/configuration.md.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentialError } from '../apps/credentials.ts';
import { unknownName } from '../apps/nearest-name.ts';

export class ConfigError extends Error {}

export interface TlsFiles {
  key: Buffer;
  cert: Buffer;
}

export interface ListenerConfig {
  host: string;
  port: number;
  tls?: TlsFiles;
}

export interface Config {
  /** WebSocket listener (SERVER_*). */
  ws: ListenerConfig;
  /** HTTP API listener (APP_*). When host and port equal the WebSocket ones, one listener serves both. */
  http: ListenerConfig;
  /** Prefix stripped from HTTP and WebSocket paths (a reverse proxy mounting Pushi under /pushi). */
  pathPrefix: string;
  /** Seconds of silence before the server pings a client (sent in the handshake). */
  activityTimeout: number;
  /** Seconds to wait for a pong before closing with 4201. */
  pongTimeout: number;
  /** Largest WebSocket frame accepted, bytes. */
  maxMessageBytes: number;
  /** Largest HTTP request body accepted, bytes. */
  maxBodyBytes: number;
  /** Send buffer bound per socket before the consumer is dropped with 4100. */
  maxBufferedBytes: number;
  /** Bytes of channels' recent history kept in memory for reconnecting clients, process-wide. */
  recoveryMaxBytes: number;
  /** Coalesce the frames one socket gets within an event-loop turn into one write (default on). */
  wsCoalesce?: boolean;
  /** Accepted drift of auth_timestamp on signed HTTP requests, seconds. */
  authTimestampWindow: number;
  /** Seconds a graceful shutdown waits for clients to go before closing them hard. */
  shutdownGraceMs: number;
  apps: AppsConfig;
  storage: StorageConfig;
  /** One redis:// URL, or a Redis Cluster's seeds separated by commas. */
  redisUrl?: string;
  /** A Redis Cluster (several seeds, or PUSHI_REDIS_CLUSTER=1 with one). */
  redisCluster: boolean;
  redisPrefix: string;
  adminToken?: string;
  logLevel: string;
  logPretty: boolean;
  /** New WebSocket connections per second from one IP address (0 = no limit), per node. */
  connectionsPerIpPerSecond: number;
  /** Take the client address from X-Forwarded-For (only behind a proxy you trust). */
  trustForwardedFor: boolean;
  /** `serve --workers N`: connections one worker takes before leaving new ones to the others (0: by file limit). */
  workerMaxConnections: number;
  /** Demo mode: the demo page may trigger with the default app's secret. */
  demo: boolean;
  /** Notification targets (Web Push, APNs, e-mail, channel webhooks) are notified of triggers (PUSHI_NOTIFICATIONS). */
  notifications: boolean;
  /** SMTP server for e-mail targets of apps without their own smtpUrl (SMTP_URL). */
  smtpUrl?: string;
}

export interface AppsConfig {
  envApp?: { id: string; key: string; secret: string; options: Record<string, unknown> };
  file?: string;
}

export interface StorageConfig {
  /** postgres://… when set; otherwise SQLite at sqlitePath. */
  databaseUrl?: string;
  /** PostgreSQL schema (tests use one per run). */
  databaseSchema?: string;
  sqlitePath: string;
  /** Reads and the /ready check give up after this many ms (PUSHI_STORE_READ_TIMEOUT_MS). */
  readTimeoutMs: number;
  /** Writes (stored events included) answer 503 after this many ms (PUSHI_STORE_WRITE_TIMEOUT_MS). */
  writeTimeoutMs: number;
  /** PostgreSQL: an unanswered query drops its connection after this many ms (twice the write deadline). */
  queryTimeoutMs: number;
}

type Env = Record<string, string | undefined>;

function storeTimeouts(env: Env) {
  const readTimeoutMs = int(env, 'PUSHI_STORE_READ_TIMEOUT_MS', 1000, 10, 600_000);
  const writeTimeoutMs = int(env, 'PUSHI_STORE_WRITE_TIMEOUT_MS', 5000, 10, 600_000);
  return { readTimeoutMs, writeTimeoutMs, queryTimeoutMs: 2 * Math.max(readTimeoutMs, writeTimeoutMs) };
}

function int(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function flag(env: Env, name: string, fallback = false): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (true/false), got "${raw}"`);
}

function tls(env: Env, prefix: 'APP' | 'SERVER'): TlsFiles | undefined {
  if (!flag(env, `${prefix}_SSL`)) return undefined;
  const keyPath = env[`${prefix}_SSL_KEY`];
  const certPath = env[`${prefix}_SSL_CER`];
  if (!keyPath) throw new ConfigError(`${prefix}_SSL=1 needs ${prefix}_SSL_KEY (path to a PEM private key)`);
  if (!certPath) throw new ConfigError(`${prefix}_SSL=1 needs ${prefix}_SSL_CER (path to a PEM certificate)`);
  const files = { key: readPem(`${prefix}_SSL_KEY`, keyPath), cert: readPem(`${prefix}_SSL_CER`, certPath) };
  // Checked here so a swapped or broken file is named, instead of OpenSSL's "no start line" later.
  try {
    createPrivateKey(files.key);
  } catch {
    throw new ConfigError(`${prefix}_SSL_KEY: "${keyPath}" is not a PEM private key (or it has a passphrase)`);
  }
  try {
    new X509Certificate(files.cert);
  } catch {
    throw new ConfigError(`${prefix}_SSL_CER: "${certPath}" is not a PEM certificate`);
  }
  return files;
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** App options the environment-defined app takes (PUSHI_APP_*). */
function envAppOptions(env: Env): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (env.PUSHI_APP_CLIENT_EVENTS !== undefined) options.clientEvents = flag(env, 'PUSHI_APP_CLIENT_EVENTS');
  if (env.PUSHI_APP_SUBSCRIPTION_COUNT !== undefined)
    options.subscriptionCount = flag(env, 'PUSHI_APP_SUBSCRIPTION_COUNT');
  if (env.PUSHI_APP_USER_AUTHENTICATION !== undefined)
    options.userAuthentication = flag(env, 'PUSHI_APP_USER_AUTHENTICATION');
  if (env.PUSHI_APP_MAX_CONNECTIONS !== undefined) options.maxConnections = int(env, 'PUSHI_APP_MAX_CONNECTIONS', 0);
  if (env.PUSHI_APP_MAX_CHANNELS_PER_CONNECTION !== undefined)
    options.maxChannelsPerConnection = int(env, 'PUSHI_APP_MAX_CHANNELS_PER_CONNECTION', 1000);
  if (env.PUSHI_APP_PERSIST !== undefined) options.persist = flag(env, 'PUSHI_APP_PERSIST');
  return options;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function logLevel(env: Env): string {
  const level = (env.LOG_LEVEL || 'info').trim().toLowerCase();
  if (!LOG_LEVELS.includes(level))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  return level;
}

/**
 * Every variable Pushi reads. A PUSHI_ (or SERVER_SSL/APP_SSL) variable not listed is a typo until
 * shown otherwise: the server refuses to start, naming it and the nearest real name.
 */
export const ENV_NAMES = [
  'SERVER_HOST',
  'SERVER_PORT',
  'SERVER_SSL',
  'SERVER_SSL_KEY',
  'SERVER_SSL_CER',
  'APP_HOST',
  'APP_PORT',
  'APP_SSL',
  'APP_SSL_KEY',
  'APP_SSL_CER',
  'PUSHI_APP_ID',
  'PUSHI_APP_KEY',
  'PUSHI_APP_SECRET',
  'PUSHI_APP_CLIENT_EVENTS',
  'PUSHI_APP_SUBSCRIPTION_COUNT',
  'PUSHI_APP_USER_AUTHENTICATION',
  'PUSHI_APP_MAX_CONNECTIONS',
  'PUSHI_APP_PERSIST',
  'PUSHI_APPS_FILE',
  'PUSHI_PATH_PREFIX',
  'PUSHI_ACTIVITY_TIMEOUT',
  'PUSHI_PONG_TIMEOUT',
  'PUSHI_MAX_MESSAGE_BYTES',
  'PUSHI_MAX_BODY_BYTES',
  'PUSHI_MAX_BUFFERED_BYTES',
  'PUSHI_RECOVERY_MAX_BYTES',
  'PUSHI_STORE_READ_TIMEOUT_MS',
  'PUSHI_STORE_WRITE_TIMEOUT_MS',
  'PUSHI_APP_MAX_CHANNELS_PER_CONNECTION',
  'PUSHI_WS_COALESCE',
  'PUSHI_AUTH_TIMESTAMP_WINDOW',
  'PUSHI_SHUTDOWN_GRACE_MS',
  'PUSHI_DB',
  'PUSHI_REDIS_URL',
  'PUSHI_REDIS_CLUSTER',
  'PUSHI_REDIS_PREFIX',
  'PUSHI_ADMIN_TOKEN',
  'PUSHI_MAX_CONNECTIONS_PER_IP',
  'PUSHI_TRUST_FORWARDED_FOR',
  'PUSHI_WORKER_MAX_CONNECTIONS',
  'PUSHI_DEMO',
  'PUSHI_NOTIFICATIONS',
  'DATABASE_URL',
  'DATABASE_SCHEMA',
  'LOG_LEVEL',
  'LOG_PRETTY',
  'SMTP_URL',
];
/**
 * Read by the server SDK (src/sdk) and the client examples (examples/), which may share the server's environment;
 * test and tool settings.
 */
const OTHER_PUSHI_NAMES = ['PUSHI_HOST', 'PUSHI_PORT', 'PUSHI_WS_PORT'];
const OTHER_PUSHI_PREFIXES = ['PUSHI_TEST_', 'PUSHI_FUZZ_', 'PUSHI_BENCH_'];

function checkEnvNames(env: Env): void {
  for (const name of Object.keys(env)) {
    if (!/^(PUSHI_|SERVER_SSL|APP_SSL)/.test(name) || ENV_NAMES.includes(name) || OTHER_PUSHI_NAMES.includes(name))
      continue;
    if (OTHER_PUSHI_PREFIXES.some((p) => name.startsWith(p))) continue;
    throw new ConfigError(unknownName('environment variable', name, ENV_NAMES));
  }
}

/**
 * SERVER_* and APP_* on the same host and port are one listener, and the SERVER_SSL settings are its
 * TLS settings; an APP_SSL that says otherwise is refused rather than silently ignored.
 */
function sharedListenerTls(env: Env, ws: ListenerConfig, http: ListenerConfig): TlsFiles | undefined {
  if (ws.host !== http.host || ws.port !== http.port || ws.port === 0) return http.tls;
  if (env.APP_SSL !== undefined && env.APP_SSL !== '' && flag(env, 'APP_SSL') !== Boolean(ws.tls)) {
    throw new ConfigError(
      `SERVER_SSL=${ws.tls ? 1 : 0} and APP_SSL=${ws.tls ? 0 : 1} on the same ${ws.host}:${ws.port}: one listener ` +
        'serves both, with the SERVER_SSL settings; unset APP_SSL or give APP_PORT its own port',
    );
  }
  return ws.tls;
}

export function loadConfig(env: Env = process.env): Config {
  checkEnvNames(env);
  const ws: ListenerConfig = {
    host: env.SERVER_HOST || '127.0.0.1',
    port: int(env, 'SERVER_PORT', 9090, 0, 65535),
    tls: tls(env, 'SERVER'),
  };
  const http: ListenerConfig = {
    host: env.APP_HOST || '127.0.0.1',
    port: int(env, 'APP_PORT', 8080, 0, 65535),
    tls: tls(env, 'APP'),
  };
  http.tls = sharedListenerTls(env, ws, http);
  const id = env.PUSHI_APP_ID;
  const key = env.PUSHI_APP_KEY;
  const secret = env.PUSHI_APP_SECRET;
  if ((id || key || secret) && !(id && key && secret)) {
    throw new ConfigError('PUSHI_APP_ID, PUSHI_APP_KEY and PUSHI_APP_SECRET must be set together');
  }
  for (const [field, value] of [
    ['id', id],
    ['key', key],
    ['secret', secret],
  ] as const) {
    const why = value ? credentialError(field, value) : undefined;
    if (why) throw new ConfigError(`PUSHI_APP_${field.toUpperCase()}: ${why}`);
  }
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must be a postgres:// URL, got "${databaseUrl}"`);
  }
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl))
    throw new ConfigError(
      `SMTP_URL must be an smtp:// or smtps:// URL, got "${smtpUrl.replace(/\/\/[^@/]*@/, '//…@')}"`,
    );
  const redisUrl = env.PUSHI_REDIS_URL || undefined;
  const redisSeeds = redisUrl?.split(',').map((u) => u.trim()) ?? [];
  const badSeed = redisSeeds.find((u) => !/^rediss?:\/\/[^/]/.test(u));
  if (badSeed !== undefined)
    throw new ConfigError(
      `PUSHI_REDIS_URL must be a redis:// URL (or a Redis Cluster's seeds separated by commas), got "${badSeed}"`,
    );
  const redisCluster = redisSeeds.length > 1 || flag(env, 'PUSHI_REDIS_CLUSTER');
  return {
    ws,
    http,
    pathPrefix: (env.PUSHI_PATH_PREFIX || '').replace(/\/+$/, ''),
    activityTimeout: int(env, 'PUSHI_ACTIVITY_TIMEOUT', 120, 1, 3600),
    pongTimeout: int(env, 'PUSHI_PONG_TIMEOUT', 30, 1, 3600),
    maxMessageBytes: int(env, 'PUSHI_MAX_MESSAGE_BYTES', 64 * 1024, 1024),
    maxBodyBytes: int(env, 'PUSHI_MAX_BODY_BYTES', 1024 * 1024, 1024),
    maxBufferedBytes: int(env, 'PUSHI_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 1024),
    recoveryMaxBytes: int(env, 'PUSHI_RECOVERY_MAX_BYTES', 64 * 1024 * 1024, 0),
    wsCoalesce: flag(env, 'PUSHI_WS_COALESCE', true),
    authTimestampWindow: int(env, 'PUSHI_AUTH_TIMESTAMP_WINDOW', 600, 1),
    shutdownGraceMs: int(env, 'PUSHI_SHUTDOWN_GRACE_MS', 3000, 0),
    apps: {
      envApp: id && key && secret ? { id, key, secret, options: envAppOptions(env) } : undefined,
      file: env.PUSHI_APPS_FILE || undefined,
    },
    storage: {
      databaseUrl,
      databaseSchema: env.DATABASE_SCHEMA || undefined,
      sqlitePath: env.PUSHI_DB || './data/pushi.db',
      ...storeTimeouts(env),
    },
    redisUrl,
    redisCluster,
    redisPrefix: env.PUSHI_REDIS_PREFIX || 'pushi:',
    adminToken: env.PUSHI_ADMIN_TOKEN || undefined,
    logLevel: logLevel(env),
    logPretty: flag(env, 'LOG_PRETTY', false),
    connectionsPerIpPerSecond: int(env, 'PUSHI_MAX_CONNECTIONS_PER_IP', 0),
    trustForwardedFor: flag(env, 'PUSHI_TRUST_FORWARDED_FOR', false),
    workerMaxConnections: int(env, 'PUSHI_WORKER_MAX_CONNECTIONS', 0),
    // On for the newcomer's default app; an operator who configured real apps opts in explicitly.
    demo: flag(env, 'PUSHI_DEMO', !(id || env.PUSHI_APPS_FILE)),
    notifications: flag(env, 'PUSHI_NOTIFICATIONS', true),
    smtpUrl,
  };
}
