// Shared by the cluster tests: real `pushi serve` nodes as child processes on one Redis (a fresh
// key prefix per run) and one PostgreSQL schema, a TCP proxy to cut a node off Redis, and small
// waiting helpers. Redis unreachable: the suite is skipped with a reason (a failure under CI=true).
import { randomBytes } from 'node:crypto';
import { createServer, type Server, Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster as RedisCluster, Redis } from 'ioredis';
import { type ChildServer, startChildServer } from '../helpers/child-server.ts';
import { postgresForTests } from '../helpers/postgres.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { channelAuth, userAuth } from '../../src/protocol/signatures.ts';

export const APP = { id: 'cluster-app', key: 'cluster-key', secret: 'cluster-secret' };
/** One Redis, or a Redis Cluster's seeds separated by commas (as PUSHI_REDIS_URL takes them). */
export const REDIS_URL = process.env.PUSHI_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

/** A client for what `url` names: a Cluster client routes each key to its shard. */
export function redisFor(url = REDIS_URL): Redis {
  const seeds = url.split(',');
  if (seeds.length === 1) return new Redis(url);
  return new RedisCluster(
    seeds.map((s) => ({ host: new URL(s).hostname, port: Number(new URL(s).port) })),
  ) as unknown as Redis;
}

/** Deletes every key under `prefix`, on each master of a cluster. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  const client = redis as unknown as Redis | RedisCluster;
  const servers: Redis[] = client instanceof RedisCluster ? client.nodes('master') : [client];
  for (const server of servers) {
    const keys = await server.keys(`${prefix}*`);
    // One DEL per key: a cluster refuses a DEL across slots.
    await Promise.all(keys.map((k) => server.del(k)));
  }
}

/** Undefined when Redis answers; otherwise why the suite is skipped (throws under CI=true). */
export async function redisSkipReason(): Promise<string | undefined> {
  const r = new Redis(REDIS_URL.split(',')[0], {
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  let cause = '';
  r.on('error', (err: Error) => (cause ||= err.message));
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (err) {
    const reason = `Redis not reachable at ${REDIS_URL} (${cause || (err as Error).message})`;
    if (process.env.CI === 'true')
      throw new Error(`${reason}; CI must run the cluster tests (set PUSHI_TEST_REDIS_URL)`, { cause: err });
    return `${reason}: skipping cluster tests`;
  } finally {
    r.disconnect();
  }
}

export interface Cluster {
  nodes: ChildServer[];
  prefix: string;
  redis: Redis;
  /** Starts one more node on the same Redis prefix and database (e.g. through a proxy). */
  add(redisUrl?: string): Promise<ChildServer>;
  close(): Promise<void>;
}

/**
 * Starts `count` nodes sharing a fresh Redis prefix and a fresh PostgreSQL schema (per-node
 * SQLite files when PostgreSQL is not reachable locally: the cluster does not depend on it).
 */
export async function startCluster(
  count: number,
  extraEnv: Record<string, string> = {},
  redisUrl = REDIS_URL,
): Promise<Cluster> {
  const prefix = `pushi-test-${randomBytes(5).toString('hex')}:`;
  const pg = await postgresForTests();
  const dirs: string[] = [];
  const storeEnv = (): Record<string, string> => {
    if (pg.available) return { DATABASE_URL: pg.url, DATABASE_SCHEMA: pg.schema };
    const dir = mkdtempSync(join(tmpdir(), 'pushi-cluster-'));
    dirs.push(dir);
    return { PUSHI_DB: join(dir, 'pushi.db') };
  };
  const env = (redisUrl: string) => ({
    PUSHI_APP_ID: APP.id,
    PUSHI_APP_KEY: APP.key,
    PUSHI_APP_SECRET: APP.secret,
    PUSHI_APP_CLIENT_EVENTS: '1',
    PUSHI_REDIS_URL: redisUrl,
    PUSHI_REDIS_PREFIX: prefix,
    PUSHI_SHUTDOWN_GRACE_MS: '0',
    ...storeEnv(),
    ...extraEnv,
  });
  const nodes: ChildServer[] = [];
  const add = async (url = redisUrl) => {
    const node = await startChildServer(env(url), 90_000);
    nodes.push(node);
    await waitUntil(
      async () => (await fetch(`${node.httpUrl}/ready`)).status === 200,
      30_000,
      'node ready (registered in Redis)',
    );
    return node;
  };
  const redis = redisFor(redisUrl);
  // The first node migrates the schema and seeds the app; the others then start side by side.
  await add();
  await Promise.all(Array.from({ length: count - 1 }, () => add()));
  return {
    nodes,
    prefix,
    redis,
    add,
    async close() {
      await Promise.all(nodes.map((n) => n.kill('SIGTERM')));
      await deleteKeys(redis, prefix);
      redis.disconnect();
      if (pg.available) await pg.dropSchema();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** Messages a node received from Redis pub/sub so far (its pushi_cluster_inbound_messages_total). */
export async function inboundMessages(node: ChildServer): Promise<number> {
  const text = await (await fetch(`${node.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('pushi_cluster_inbound_messages_total '));
  if (!line) throw new Error('the node reports no pushi_cluster_inbound_messages_total');
  return Number(line.split(' ')[1]);
}

/** Polls `check` until it returns true; fails with `what` after `ms`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

export type Client = RawClient & { socketId: string };

export const connect = (node: ChildServer): Promise<Client> => RawClient.established(node.wsUrl(APP.key));

/** The clients a suite opens, closed together in its `after`. */
export class OpenClients {
  private readonly open: RawClient[] = [];

  /** Connects to `node` as the app with `key` (the cluster app by default) and keeps the client. */
  async connect(node: ChildServer, key = APP.key): Promise<Client> {
    return this.keep(await RawClient.established(node.wsUrl(key)));
  }

  keep<C extends RawClient>(c: C): C {
    this.open.push(c);
    return c;
  }

  closeAll(): void {
    for (const c of this.open.splice(0)) c.close();
  }
}

export function privateAuth(c: Client, channel: string): string {
  return channelAuth(APP.key, APP.secret, c.socketId, channel);
}

/** Joins a presence channel as `userId`; resolves with subscription_succeeded's presence data. */
export async function joinPresence(c: Client, channel: string, userId: string, info: unknown = { name: userId }) {
  const data = JSON.stringify({ user_id: userId, user_info: info });
  const f = await c.subscribe(channel, channelAuth(APP.key, APP.secret, c.socketId, channel, data), data);
  if (f.event !== 'pusher_internal:subscription_succeeded') throw new Error(`join refused: ${JSON.stringify(f)}`);
  return JSON.parse(f.data as string).presence as { ids: string[]; hash: Record<string, unknown>; count: number };
}

export async function signin(c: Client, user: Record<string, unknown>): Promise<void> {
  const userData = JSON.stringify(user);
  c.send({
    event: 'pusher:signin',
    data: { user_data: userData, auth: userAuth(APP.key, APP.secret, c.socketId, userData) },
  });
  await c.waitFor((f) => f.event === 'pusher:signin_success');
}

/** The events named `name` on `channel` a client got, with data decoded. */
export function got(c: Client, name: string, channel?: string): unknown[] {
  return c.frames
    .filter((f) => f.event === name && (channel === undefined || f.channel === channel))
    .map((f) => (typeof f.data === 'string' ? safeJson(f.data) : f.data));
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}

/**
 * A TCP proxy between nodes and Redis the test can cut (every connection dropped, new ones
 * refused) and restore, without touching the shared Redis server.
 */
export class RedisProxy {
  private server?: Server;
  private sockets = new Set<Socket>();
  private open = true;
  port = 0;

  constructor(private readonly target: URL = new URL(REDIS_URL)) {}

  async start(): Promise<string> {
    this.server = createServer((client) => {
      if (!this.open) return client.destroy();
      const upstream = new Socket();
      upstream.connect(Number(this.target.port || 6379), this.target.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return `redis://127.0.0.1:${this.port}`;
  }

  cut(): void {
    this.open = false;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }
}
