// A server loads and starts only what its configuration uses: the Redis, PostgreSQL, Web Push and
// SMTP clients stay unloaded without their settings, and the process metrics (event-loop monitor,
// GC observer) start with the first scrape of /metrics. Idle RSS is measured in docs/performance.md.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { ROOT } from '../helpers/child-server.ts';
import { startServer } from '../helpers/server.ts';

test('a server without Redis, PostgreSQL or SMTP settings loads none of their clients', () => {
  // A fresh process: this one's module cache holds whatever other tests imported.
  const script = `
    import { createRequire } from 'node:module';
    const { startServer } = await import('./test/helpers/server.ts');
    const s = await startServer();
    const files = Object.keys(createRequire(process.cwd() + '/').cache);
    await s.close();
    const names = files.map((f) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(f)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  const loaded: string[] = JSON.parse(out);
  assert.ok(loaded.includes('ws'), `the module list is read (${loaded.join(', ')})`);
  for (const name of ['ioredis', 'pg', 'web-push', 'nodemailer'])
    assert.ok(!loaded.includes(name), `${name} loaded without its setting`);
});

test('process metrics start with the first scrape of /metrics', async () => {
  const s = await startServer();
  try {
    const lag = () => s.server.metrics.registry.getSingleMetric('nodejs_eventloop_lag_seconds');
    assert.equal(lag(), undefined, 'no event-loop monitor before anyone asks');
    const text = await (await fetch(`${s.httpUrl}/metrics`)).text();
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.ok(lag());
  } finally {
    await s.close();
  }
});
