// `pushi serve --workers N`: N processes behind one port act as one server through Redis; without
// Redis the command refuses with one clear line. Each worker accepts from the shared socket and
// stops at its connection cap (5 here), leaving new connections to the other.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import Pusher from 'pusher';
import { freePort, ROOT, runCli } from '../helpers/child-server.ts';
import { RawClient } from '../helpers/raw-client.ts';
import { APP, type Client, got, joinPresence, REDIS_URL, redisSkipReason, waitUntil } from './helpers.ts';

const skip = await redisSkipReason();
const T = 10_000;
const CAP = 5;

test('serve --workers without Redis says it needs Redis, in one line, and exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pushi-workers-'));
  try {
    const res = await runCli(['serve', '--workers', '2'], { PUSHI_DB: join(dir, 'p.db') });
    assert.equal(res.code, 1);
    const lines = res.output.trim().split('\n');
    assert.equal(lines.length, 1, res.output);
    assert.match(lines[0], /^pushi: multi-worker mode \(--workers 2\) needs Redis.*PUSHI_REDIS_URL/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('serve --workers 2 on one port', { skip, timeout: 180_000 }, () => {
  const prefix = `pushi-test-${randomBytes(5).toString('hex')}:`;
  const dir = mkdtempSync(join(tmpdir(), 'pushi-workers-'));
  const redis = new Redis(REDIS_URL);
  let child: ChildProcess;
  let port = 0;
  let output = '';
  const clients: Client[] = [];

  /** Starts the primary; resolves when it says all workers started, false if it exited first. */
  const start = async (): Promise<boolean> => {
    port = await freePort();
    output = '';
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--workers', '2'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        SERVER_PORT: String(port),
        APP_PORT: String(port),
        PUSHI_APP_ID: APP.id,
        PUSHI_APP_KEY: APP.key,
        PUSHI_APP_SECRET: APP.secret,
        PUSHI_APP_SUBSCRIPTION_COUNT: '1',
        PUSHI_DB: join(dir, 'pushi.db'),
        PUSHI_REDIS_URL: REDIS_URL,
        PUSHI_REDIS_PREFIX: prefix,
        PUSHI_SHUTDOWN_GRACE_MS: '0',
        PUSHI_WORKER_MAX_CONNECTIONS: String(CAP),
        LOG_LEVEL: 'info',
      },
    });
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      if (/"workers":2[^\n]*"msg":"pushi started"/.test(output)) return true;
      if (child.exitCode !== null) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    throw new Error(`the workers did not start in time; output:\n${output}`);
  };

  before(async () => {
    // Another process may take the free port between our check and the listen: try new ones.
    for (let attempt = 1; !(await start()); attempt++) {
      if (attempt >= 3 || !/port is in use/.test(output)) throw new Error(`pushi serve --workers 2 exited:\n${output}`);
    }
  });
  after(async () => {
    for (const c of clients) c.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const url = () => `ws://127.0.0.1:${port}/app/${APP.key}?protocol=7`;
  /** Each worker's subscriber count of a channel, as it wrote it to Redis. */
  const shares = async (channel: string): Promise<Map<string, number>> => {
    const out = new Map<string, number>();
    for (const node of await redis.smembers(`${prefix}{nodes}:all`))
      out.set(node, Number((await redis.hget(`${prefix}{nodes}:n:${node}`, `s\0${APP.id}\0${channel}`)) ?? 0));
    return out;
  };

  test('connections spread over both workers and every one gets each event once', async () => {
    for (let i = 0; i < 6; i++) {
      const c = await RawClient.established(url());
      clients.push(c);
      await c.subscribe('w-news');
    }
    // Both workers registered as nodes; neither holds more than its cap, so both hold some.
    let byWorker = new Map<string, number>();
    const counted = async () => [...(byWorker = await shares('w-news')).values()].reduce((a, b) => a + b, 0) === 6;
    await waitUntil(counted, T, 'both workers counting their subscribers in Redis');
    assert.equal(byWorker.size, 2);
    for (const [node, share] of byWorker)
      assert.ok(share > 0 && share <= CAP, `worker ${node} holds ${share} of 6 subscribers (cap ${CAP})`);
    const sdk = new Pusher({
      appId: APP.id,
      key: APP.key,
      secret: APP.secret,
      host: '127.0.0.1',
      port: String(port),
      useTLS: false,
    });
    for (let i = 0; i < 5; i++) await sdk.trigger('w-news', 'n', { i });
    await sdk.trigger('w-news', 'sentinel', {});
    for (const c of clients) {
      await c.waitFor((f) => f.event === 'sentinel', T);
      assert.deepEqual(
        got(c, 'n'),
        [0, 1, 2, 3, 4].map((i) => ({ i })),
      );
    }
  });

  test('one scrape of /metrics counts the connections of every worker', async () => {
    // The six clients of the first test are open, spread over both workers; each scrape lands on one.
    const open = clients.length;
    for (let i = 0; i < 4; i++) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`pushi_connections{app_id="${APP.id}"}`));
      assert.equal(Number(line?.split(' ')[1]), open, `scrape ${i}: ${line ?? 'no pushi_connections line'}`);
    }
  });

  /** The worker (cluster node) holding this client: the one counting its subscriber to a channel of its own. */
  const workerOf = async (c: Client, channel: string): Promise<string> => {
    await c.subscribe(channel);
    // The count is written just after the subscribe is confirmed: wait for it.
    let found: string | undefined;
    await waitUntil(
      async () => {
        for (const [node, share] of await shares(channel)) if (share > 0) found = node;
        return found !== undefined;
      },
      T,
      `a worker counting the subscriber to ${channel}`,
    );
    return found!;
  };

  test('presence members on different workers see each other', async () => {
    const where = await Promise.all(clients.map((c, i) => workerOf(c, `w-where-${i}`)));
    const x = clients[0]!;
    const y = clients[where.findIndex((w) => w !== where[0])];
    assert.ok(y, `clients on two workers (${where.join(', ')})`);
    await joinPresence(x, 'presence-w', 'x');
    const list = await joinPresence(y, 'presence-w', 'y');
    assert.deepEqual(list.ids.sort(), ['x', 'y']);
    const added = await x.waitFor((f) => f.event === 'pusher_internal:member_added', T);
    assert.deepEqual(JSON.parse(added.data as string), { user_id: 'y', user_info: { name: 'y' } });
  });

  test('subscription_count counts the subscribers of every worker', async () => {
    const where = await Promise.all(clients.map((c, i) => workerOf(c, `w-where-${i}`)));
    const x = clients[0]!;
    const y = clients[where.findIndex((w) => w !== where[0])]!;
    await x.subscribe('w-count');
    await y.subscribe('w-count');
    const two = (f: { event: string; channel?: string; data?: unknown }) =>
      f.event === 'pusher_internal:subscription_count' &&
      f.channel === 'w-count' &&
      JSON.parse(f.data as string).subscription_count === 2;
    // Both subscribers hear the cluster-wide number, whichever worker holds them.
    await Promise.all([x.waitFor(two, T), y.waitFor(two, T)]);
    // And the channel query says 2 from whichever worker answers it.
    const sdk = new Pusher({ appId: APP.id, key: APP.key, secret: APP.secret, host: '127.0.0.1', port: String(port) });
    for (let i = 0; i < 4; i++) {
      const res = await sdk.get({ path: '/channels/w-count', params: { info: 'subscription_count' } });
      assert.deepEqual(await res.json(), { occupied: true, subscription_count: 2 });
    }
  });

  test('workers at their cap refuse new connections, and one below it accepts again', async () => {
    // HTTP keep-alive connections of the tests above count until they idle out: retry until room.
    const connectWhenRoom = async (): Promise<Client> => {
      let c: Client | undefined;
      await waitUntil(async () => !!(c = await RawClient.established(url())), T, 'a worker with room');
      clients.push(c!);
      await c!.subscribe('w-full');
      return c!;
    };
    for (const c of clients.slice()) await c.subscribe('w-full');
    // Counts reach Redis just after subscription_succeeded: wait for them rather than read once.
    const full = async () => [...(await shares('w-full')).values()].join() === `${CAP},${CAP}`;
    while (clients.length < 2 * CAP) await connectWhenRoom();
    await waitUntil(full, T, `${CAP} subscribers on each worker`);
    await assert.rejects(RawClient.established(url()), 'both workers are full: nobody accepts');

    const leaving = clients.pop()!;
    leaving.close();
    await waitUntil(async () => [...(await shares('w-full')).values()].includes(CAP - 1), T, 'the close counted');
    await connectWhenRoom();
    await waitUntil(full, T, `${CAP} subscribers on each worker again`);
  });

  test('SIGTERM stops every worker and they leave the cluster', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.deepEqual(await redis.smembers(`${prefix}{nodes}:all`), []);
    assert.deepEqual(await redis.keys(`${prefix}*:pc`), []);
  });
});
