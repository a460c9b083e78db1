// What the HTTP routes are given: passed in, never imported as globals.
import type { Logger } from 'pino';
import type { App, AppSource } from '../apps/app.ts';
import type { Config } from '../config/config.ts';
import type { Hub } from '../hub/hub.ts';
import type { ChannelQueries } from '../cluster/adapter.ts';
import type { HealthCheck } from './health-check.ts';

export type { HealthCheck };

export interface ApiMetrics {
  httpRequest(route: string, method: string, status: number, seconds: number): void;
}

export interface ApiDeps {
  config: Config;
  hub: Hub;
  queries: ChannelQueries;
  apps: AppSource;
  logger: Logger;
  metrics?: ApiMetrics;
  health: HealthCheck[];
  /** Per-app request rate (limits/api-limit.ts): throws HttpError 429 with Retry-After past it. */
  limitApi?: (app: App) => Promise<void>;
  /** The app the demo page uses (the default app, or the env app); its routes answer only in demo mode. */
  demoApp?: App;
  /** The bound ports, set once listening (the config may say 0). */
  ports?: { ws: number; http: number };
}
