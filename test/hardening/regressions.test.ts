// The server bugs the fuzz and fault runs found, each pinned down with the exact input, against a
// child process (so a crash or an "unexpected error" warning is seen, not just a failed assertion).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { decode, RawClient } from '../helpers/raw-client.ts';
import { signedUrl } from '../helpers/signed-fetch.ts';
import { postgresForTests } from '../helpers/postgres.ts';
import { channelAuth } from '../../src/protocol/signatures.ts';
import { startLiveServer, type LiveServer } from './live-server.ts';
import { Publisher, missingAcked } from './fault-kit.ts';

const APP = { id: 'reg-app', key: 'reg-key', secret: 'reg-secret-0123456789' };
const pgTarget = await postgresForTests();
if (!pgTarget.available) console.log(`# ${pgTarget.reason}`);
else after(pgTarget.dropSchema);

let dir: string;
let appsFile: string;
let s: LiveServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushi-regressions-'));
  appsFile = join(dir, 'apps.json');
  writeFileSync(
    appsFile,
    JSON.stringify({ apps: [{ ...APP, options: { clientEvents: true, persist: true, maxApiRequestsPerSecond: 0 } }] }),
  );
  s = await startLiveServer({ env: { PUSHI_APPS_FILE: appsFile, PUSHI_DB: join(dir, 'pushi.db') } });
});
after(async () => {
  await s?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let out = '';
    sock.on('data', (d) => (out += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => resolve(out));
    sock.write(text);
    setTimeout(() => sock.destroy(), 1000);
  });
}
const upgrade = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;

describe('hostile input that used to crash or fail the server', () => {
  test('upgrades to an unparseable URL (`//[`) or a malformed %-escape in the key: refused, no crash', async () => {
    for (const path of ['//[', `/app/%E0%A4%A?protocol=7`]) {
      const answer = await raw(s.wsPort, upgrade(path));
      assert.match(answer, /^HTTP\/1\.1 101 /, path);
      assert.ok(answer.includes('"code\\":400') || /400[15]/.test(answer), `${path}: ${answer.slice(-120)}`);
    }
    assert.equal(s.alive(), true, s.stderr());
  });

  test('an HTTP request to an unparseable URL answers 400, not 500', async () => {
    assert.match(await raw(s.httpPort, 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 400 /);
  });

  test('client event data and channel_data nested past what JSON.stringify can walk: refused, not a server error', async () => {
    const c = await RawClient.established(s.wsUrl(APP.key));
    const ch = 'private-deep';
    await c.subscribe(ch, channelAuth(APP.key, APP.secret, c.socketId, ch));
    c.send(`{"event":"client-deep","channel":"${ch}","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    assert.equal(decode(await c.next('pusher:error')).code, 4301);
    c.send(
      `{"event":"pusher:subscribe","data":{"channel":"presence-deep","auth":"x","channel_data":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`,
    );
    const refused = await c.waitFor((f) => f.event === 'pusher:subscription_error' && f.channel === 'presence-deep');
    assert.match(decode(refused).error, /nested too deeply/);
    c.close();
  });

  test('a signed URL cannot be altered by repeating a parameter or dropping the body', async () => {
    const path = `/apps/${APP.id}/events`;
    const body = JSON.stringify({ name: 'e', channel: 'c', data: '1' });
    const { url } = signedUrl(s.httpUrl, path, { method: 'POST', body, key: APP.key, secret: APP.secret });
    const ok = await fetch(url, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(ok.status, 200);
    // the route reads the first value, the signature covered the last: refused
    const u = new URL(url);
    const dup = await fetch(`${u.origin}${u.pathname}?auth_key=other&${u.searchParams}`, { method: 'POST', body });
    assert.equal(dup.status, 401);
    assert.match(((await dup.json()) as { error: string }).error, /given twice/);
    // body_md5 was signed: the same URL with the body stripped is not a valid empty request
    assert.equal((await fetch(url, { method: 'POST' })).status, 401);
  });

  test('the server saw none of it as a crash or an unexpected error', () => {
    assert.equal(s.alive(), true);
    assert.deepEqual(s.problems(), []);
  });
});

describe(
  'PostgreSQL backends terminated mid-transaction',
  { skip: pgTarget.available ? false : pgTarget.reason },
  () => {
    test(
      'the process survives (no unhandled pg client error), answers 503 meanwhile, loses nothing acknowledged',
      { timeout: 120_000 },
      async () => {
        const t = pgTarget as Extract<typeof pgTarget, { available: true }>;
        const appName = `pushi-reg-${process.pid}`;
        const node = await startLiveServer({
          env: {
            PUSHI_APPS_FILE: appsFile,
            DATABASE_URL: `${t.url}?application_name=${appName}`,
            DATABASE_SCHEMA: t.schema,
          },
          expectedErrors: /unavailable/,
        });
        const admin = new pg.Client({ connectionString: t.url });
        await admin.connect();
        const pub = new Publisher(() => node, APP, 'burst', 5, 10);
        try {
          pub.start();
          let killed = 0;
          for (let i = 0; i < 15 && node.alive(); i++) {
            killed +=
              (
                await admin.query(
                  'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
                  [appName],
                )
              ).rowCount ?? 0;
            await new Promise((r) => setTimeout(r, 200));
          }
          await pub.stop();
          assert.ok(killed > 0, 'backends were terminated');
          assert.equal(node.alive(), true, node.stderr());
          assert.deepEqual(pub.unclear, [], 'every failure was a 503 naming the storage problem');
          const { 200: acked = 0, 503: refused = 0, ...other } = pub.statuses;
          assert.deepEqual(other, {}, 'nothing but 200s and 503s (no connection errors)');
          assert.ok(acked > 0 && refused > 0, `200s and 503s meanwhile: ${JSON.stringify(pub.statuses)}`);
          assert.deepEqual(await missingAcked(node, APP, 'burst', pub.acked), []);
          assert.deepEqual(node.problems(), []);
        } finally {
          await pub.stop();
          await admin.end();
          await node.stop('SIGTERM');
        }
      },
    );
  },
);
