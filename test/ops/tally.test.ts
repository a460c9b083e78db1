// The tallied counter and histogram (src/metrics/tally.ts) must expose exactly what prom-client's
// own Counter and Histogram expose for the same observations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TallyCounter, TallyGauge, TallyHistogram } from '../../src/metrics/tally.ts';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const VALUES = [0, 0.0005, 0.001, 0.002, 0.01, 0.05, 0.5, 1, 3, 1e9];

test('a tallied histogram and counter scrape exactly like prom-client', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const h = new TallyHistogram('t_seconds', 'help text', ['route', 'method'], BUCKETS, [ours]);
  const c = new TallyCounter('t_total', 'count "quoted"', ['route', 'status'], [ours]);
  const ph = new Histogram({
    name: 't_seconds',
    help: 'help text',
    labelNames: ['route', 'method'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const pc = new Counter({
    name: 't_total',
    help: 'count "quoted"',
    labelNames: ['route', 'status'],
    registers: [theirs],
  });
  const g = new TallyGauge('t_open', 'open things', ['app_id', 'type'], [ours]);
  const pg = new Gauge({ name: 't_open', help: 'open things', labelNames: ['app_id', 'type'], registers: [theirs] });
  const a = h.labels('/apps/:appId/events', 'POST');
  const b = h.labels('/x', 'GET');
  for (const v of VALUES) {
    a.observe(v);
    ph.observe({ route: '/apps/:appId/events', method: 'POST' }, v);
  }
  b.observe(0.02);
  ph.observe({ route: '/x', method: 'GET' }, 0.02);
  c.labels('/a', '200').inc();
  c.labels('/a', '200').inc(4);
  c.labels('/b\n"', '500').inc();
  pc.inc({ route: '/a', status: '200' });
  pc.inc({ route: '/a', status: '200' }, 4);
  pc.inc({ route: '/b\n"', status: '500' });
  for (const [app, type, delta] of [
    ['a', 'private', 3],
    ['a', 'presence', 1],
    ['b', 'private', 2],
    ['a', 'private', -1],
  ] as const) {
    if (delta > 0) g.labels(app, type).inc(delta);
    else g.labels(app, type).dec(-delta);
    pg.inc({ app_id: app, type }, delta);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());

  ours.resetMetrics();
  theirs.resetMetrics();
  a.observe(0.003); // children kept across a reset keep counting
  ph.observe({ route: '/apps/:appId/events', method: 'POST' }, 0.003);
  const after = await ours.metrics();
  assert.match(after, /t_seconds_count\{route="\/apps\/:appId\/events",method="POST"\} 1/);
  assert.match(after, /t_seconds_bucket\{le="0.01",route="\/apps\/:appId\/events",method="POST"\} 1/);
  // (prom-client forgets the series on reset; ours keep them at 0 so that kept children still count)
});
