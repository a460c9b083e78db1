// Starts a real Pushi server on ephemeral ports for a test, with its own SQLite file (or a
// PostgreSQL schema) and a known app. Returns everything a test needs to talk to it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Pusher from 'pusher';
import { loadConfig } from '../../src/config/config.ts';
import { createServer, type PushiServer, type ServerOptions } from '../../src/server.ts';

export const APP = { id: 'test-app', key: 'test-key', secret: 'test-secret' };

export interface TestServer {
  server: PushiServer;
  app: typeof APP;
  wsPort: number;
  httpPort: number;
  wsUrl: (key?: string, query?: string) => string;
  httpUrl: string;
  /** The official `pusher` SDK pointed at this server. */
  sdk: (overrides?: Partial<ConstructorParameters<typeof Pusher>[0]>) => Pusher;
  close: () => Promise<void>;
  /** The directory holding this server's SQLite file (for restarts on the same data). */
  dataDir: string;
}

export interface StartOptions extends ServerOptions {
  env?: Record<string, string | undefined>;
  /** Reuse a data directory (restart on the same SQLite file). */
  dataDir?: string;
}

/**
 * Environment defaults for tests: ephemeral ports, the test app with client events on,
 * a private SQLite file. `env` overrides any of them.
 */
export async function startServer(opts: StartOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'pushi-test-'));
  const env: Record<string, string | undefined> = {
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: '0',
    APP_HOST: '127.0.0.1',
    APP_PORT: '0',
    PUSHI_APP_ID: APP.id,
    PUSHI_APP_KEY: APP.key,
    PUSHI_APP_SECRET: APP.secret,
    PUSHI_APP_CLIENT_EVENTS: '1',
    PUSHI_DB: join(dataDir, 'pushi.db'),
    ...opts.env,
  };
  const config = loadConfig(env);
  const server = await createServer(config, { sweepIntervalMs: 100, ...opts });
  const scheme = config.ws.tls ? 'wss' : 'ws';
  const httpScheme = config.http.tls ? 'https' : 'http';
  return {
    server,
    app: APP,
    wsPort: server.wsPort,
    httpPort: server.httpPort,
    wsUrl: (key = APP.key, query = 'protocol=7&client=js&version=8.4.0') =>
      `${scheme}://127.0.0.1:${server.wsPort}/app/${key}?${query}`,
    httpUrl: `${httpScheme}://127.0.0.1:${server.httpPort}`,
    sdk: (overrides = {}) =>
      new Pusher({
        appId: APP.id,
        key: APP.key,
        secret: APP.secret,
        host: '127.0.0.1',
        port: String(server.httpPort),
        useTLS: false,
        ...overrides,
      }),
    close: async () => {
      await server.close();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
    dataDir,
  };
}
