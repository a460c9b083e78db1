// Secrets stay secret: a server at LOG_LEVEL=debug, driven through successes and every kind of
// failure, never writes an app secret, the admin token or the database password to its logs, error
// bodies, WebSocket errors, /metrics, /ready or /health. And every comparison of a secret-derived
// value goes through the constant-time safeEqual (a code-level check over src/).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { RawClient } from '../helpers/raw-client.ts';
import { signedFetch, type SignedFetchOptions } from '../helpers/signed-fetch.ts';
import { postgresForTests } from '../helpers/postgres.ts';
import { channelAuth, userAuth } from '../../src/protocol/signatures.ts';
import { ROOT, startLiveServer, type LiveServer } from './live-server.ts';

const A = { id: 'app-a', key: 'key-a', secret: 'a-secret-7f3e9c1d5b' };
const B = { id: 'app-b', key: 'key-b', secret: 'b-secret-2c8a4e6f0d' };
const ADMIN = 'admin-token-9d8c7b6a5f';
const PG_PASSWORD = 'pg-password-4e1f9a';

const pg = await postgresForTests();
if (!pg.available) console.log(`# ${pg.reason}: the database-password check runs on SQLite only`);
else after(pg.dropSchema);

// The one error line the run expects: app A's webhooks (to port 9) given up (notify/webhooks/sender.ts).
const WEBHOOK_GAVE_UP = /"msg":"webhook failed: giving up, kept for GET \/apps\/\{id\}\/webhooks\/failed"/;

let dir: string;
let server: LiveServer;
/** Everything a client or a scraper got back that is not a success of an authorised admin call. */
const seen: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pushi-secrets-'));
  const appsFile = join(dir, 'apps.json');
  const hook = {
    webhooks: [{ url: 'http://127.0.0.1:9/hook', events: ['channel_occupied', 'client_event'] }],
    webhookBatchMs: 10,
    webhookRetryForMs: 1,
  };
  writeFileSync(
    appsFile,
    JSON.stringify({ apps: [{ ...A, options: { clientEvents: true, persist: true, ...hook } }, B] }),
  );
  const db = pg.available
    ? {
        DATABASE_URL: pg.url.replace('postgres://postgres@', `postgres://postgres:${PG_PASSWORD}@`),
        DATABASE_SCHEMA: pg.schema,
      }
    : { PUSHI_DB: join(dir, 'pushi.db') };
  server = await startLiveServer({
    env: { PUSHI_APPS_FILE: appsFile, PUSHI_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'debug', ...db },
    expectedErrors: WEBHOOK_GAVE_UP,
  });
});

after(async () => {
  await server?.stop('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
});

async function api(method: string, path: string, o: SignedFetchOptions & { app?: typeof A } = {}): Promise<number> {
  const app = o.app ?? A;
  const res = await signedFetch(server.httpUrl, path, { method, key: app.key, secret: app.secret, ...o });
  const text = await res.text();
  if (res.status >= 300) seen.push(`${method} ${path} → ${res.status} ${text}`);
  return res.status;
}

test(
  'no secret in logs, error bodies, WebSocket errors or /metrics, whatever happens',
  { timeout: 120_000 },
  async () => {
    // successes
    assert.equal(await api('POST', `/apps/${A.id}/events`, { body: { name: 'e', channel: 'c', data: '{}' } }), 200);
    // failures of every kind
    await api('POST', `/apps/${A.id}/events`, { body: { name: 'e', channel: 'c', data: '{}' }, secret: 'wrong' });
    await api('POST', `/apps/${A.id}/events`, { body: { name: 'e', channel: 'c', data: '{}' }, timestamp: 1 });
    await api('POST', `/apps/${B.id}/events`, { body: { name: 'e', channel: 'c', data: '{}' } });
    await api('GET', `/apps/nope/channels`);
    await api('POST', `/apps/${A.id}/events`, { body: '{"broken' });
    await api('POST', `/apps/${A.id}/events`, { body: { name: 'e', channel: 'c', data: 'x'.repeat(20_000) } });
    await api('POST', `/apps/${A.id}/events`, { body: { name: 'e', channel: 'bad name!', data: '{}' } });
    for (const auth of [
      '',
      'Bearer wrong',
      `Bearer ${A.secret}`,
      `Basic ${Buffer.from(`x:${ADMIN}`).toString('base64')}`,
    ]) {
      const res = await fetch(`${server.httpUrl}/apps`, { headers: auth ? { Authorization: auth } : {} });
      seen.push(`GET /apps (${auth.slice(0, 6)}) → ${res.status} ${await res.text()}`);
    }
    // an authorised rotation: its answer holds the new secret by design; the logs must not
    const rotated = await fetch(`${server.httpUrl}/apps/${B.id}/rotate_secret`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN}` },
    });
    assert.equal(rotated.status, 200);
    const newSecret = ((await rotated.json()) as { secret: string }).secret;
    assert.ok(newSecret.length >= 16);

    // WebSocket: bad channel auth, bad presence data, bad sign-in, a client event that fires a webhook
    const c = await RawClient.established(server.wsUrl(A.key));
    await c.subscribe('private-x', 'key-a:deadbeef');
    await c.subscribe(
      'presence-x',
      channelAuth(A.key, 'wrong', c.socketId, 'presence-x', '{"user_id":"u"}'),
      '{"user_id":"u"}',
    );
    await c.subscribe('private-y', channelAuth(A.key, A.secret, c.socketId, 'private-y'));
    c.send({ event: 'client-hi', channel: 'private-y', data: { a: 1 } });
    c.send({
      event: 'pusher:signin',
      data: { user_data: '{"id":"u"}', auth: userAuth(A.key, 'wrong', c.socketId, '{"id":"u"}') },
    });
    await c.waitClose();
    seen.push(...c.raw);
    for (const path of ['/metrics', '/ready', '/health'])
      seen.push(`${path}: ${await (await fetch(`${server.httpUrl}${path}`)).text()}`);
    // webhooks of A fail (port 9) and are given up: their errors are logged, so wait for that
    for (let waited = 0; !WEBHOOK_GAVE_UP.test(server.stdout()); waited += 100) {
      if (waited >= 20_000) assert.fail('no webhook failure was logged within 20 s: its log line went unchecked');
      await new Promise((r) => setTimeout(r, 100));
    }

    await server.stop('SIGTERM');
    const logs = server.stdout() + server.stderr();
    assert.match(logs, /"msg":"configuration"/, 'the logs were captured');
    assert.match(logs, /"level":20/, 'debug lines were written');
    const secrets = {
      'app A secret': A.secret,
      'app B secret': B.secret,
      'rotated secret': newSecret,
      'admin token': ADMIN,
      'database password': PG_PASSWORD,
    };
    for (const [what, value] of Object.entries(secrets)) {
      assert.ok(
        !logs.includes(value),
        `${what} in the logs:\n${logs
          .split('\n')
          .filter((l) => l.includes(value))
          .join('\n')}`,
      );
      for (const text of seen) assert.ok(!text.includes(value), `${what} in: ${text.slice(0, 300)}`);
    }
    assert.ok(
      seen.some((t) => t.includes('pushi_connections')),
      '/metrics was read',
    );
    assert.deepEqual(server.problems(), []);
  },
);

// --- constant-time comparisons -----------------------------------------------------------------

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

test('safeEqual is timingSafeEqual, and every verifier compares through it', () => {
  const sig = readFileSync(join(ROOT, 'src/protocol/signatures.ts'), 'utf8');
  const safe = /export function safeEqual[\s\S]*?\n}/.exec(sig)![0];
  assert.match(safe, /return timingSafeEqual\(x, y\)/);
  const verifiers = [...sig.matchAll(/export function (verify\w+)[\s\S]*?\n}/g)];
  assert.ok(verifiers.length >= 2, 'verifyChannelAuth and verifyUserAuth found');
  for (const [body, name] of verifiers) {
    assert.match(body, /return safeEqual\(/, `${name} returns through safeEqual`);
    assert.doesNotMatch(body.replace(/typeof \w+ !== '\w+'/g, ''), /[!=]==?/, `${name} compares nothing else`);
  }
  // The request signature is the one secret-derived value in a signed REST call; auth_key is public
  // (every client page has it) and body_md5 is a digest of the caller's own body.
  const verify = readFileSync(join(ROOT, 'src/api/verify.ts'), 'utf8');
  assert.ok(verify.includes('safeEqual(signature, expected)'), 'verify.ts: safeEqual(signature, expected)');
});

test('no source file compares a signature, secret, token or HMAC with == / === / Buffer.equals', () => {
  const secretish = /(signature|secret|token|hmac|digest|\bauth\b|expected)/i;
  const offenders: string[] = [];
  for (const file of sources(join(ROOT, 'src'))) {
    const rel = relative(ROOT, file);
    if (rel.startsWith('src/client/')) continue; // browser code: it holds no secret
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        const code = line
          .replace(/\/\/.*$/, '')
          .replace(/typeof [\w.]+ [!=]==? '\w+'/g, '')
          .replace(/[\w.]+ [!=]==? (undefined|null)\b/g, '');
        for (const m of code.matchAll(/([\w.[\]'"]+)\s*(?:[!=]==?)\s*([\w.[\]'"]+)|([\w.]+)\.equals\(([^)]*)\)/g)) {
          const operands = m.slice(1).filter(Boolean);
          // a parameter name or other literal is not a secret; lengths and sizes leak nothing
          if (operands.some((o) => /^['"]/.test(o) || /\.(length|size)$/.test(o))) continue;
          if (secretish.test(operands.join(' '))) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
        }
      });
  }
  assert.deepEqual(offenders, []);
});
