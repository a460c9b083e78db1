// Turns the harness's measurements into markdown tables: medians per scenario, size and server,
// then one row per target of issue 6 with Pushi's value, the reference's, their ratio and the goal.
import { hundredKTables } from './report-hundred-k.mjs';
import { median, recoveryTables } from './report-recovery.mjs';

const fmt = (x, d = 0) => (x == null ? '-' : Number(x).toFixed(d));
const ratio = (x, y) => (x != null && y ? x / y : null);

export function groupKey(p, label) {
  const tag = label ? ` [${label}]` : '';
  if (p.scenario === 'connect') return `connect ${p.conns}${tag}`;
  if (p.scenario === 'fanout')
    return `fanout ${p.conns}×${p.messages} ${p.payload} B${p.rate ? ` @${p.rate}/s` : ''}${tag}`;
  if (p.scenario === 'channels') return `channels ${p.conns} conns, ${p.rate}/s × ${p.duration}s${tag}`;
  return `client-events ${p.conns} conns, ${p.rate}/s × ${p.duration}s${tag}`;
}

const METRICS = {
  msToAllSubscribed: (r) => r.connect?.msToAllSubscribed,
  connectRate: (r) => r.connect?.connectRatePerSec,
  cpuUsPerConn: (r) =>
    r.server?.cpuMsConnect != null && r.connect?.subscribed
      ? (r.server.cpuMsConnect * 1000) / r.connect.subscribed
      : null,
  rssIdleMB: (r) => (r.server?.rssKbIdle != null ? r.server.rssKbIdle / 1024 : null),
  rssKbPerConn: (r) => r.server?.rssKbPerConn,
  deliveriesPerSec: (r) => r.deliver?.deliveriesPerSec,
  lost: (r) => r.deliver?.lost,
  cpuUsPerDelivery: (r) => r.server?.cpuUsPerDelivery,
  p50: (r) => r.deliver?.latencyMs?.p50,
  p99: (r) => r.deliver?.latencyMs?.p99,
};

/** group key → target → metric → median (and the run count). */
function medians(runs) {
  const groups = new Map();
  for (const r of runs) {
    if (r.error) continue;
    const k = groupKey(r.params, r.label);
    if (!groups.has(k)) groups.set(k, { scenario: r.scenario, params: r.params, label: r.label, byTarget: new Map() });
    const g = groups.get(k).byTarget;
    if (!g.has(r.target)) g.set(r.target, []);
    g.get(r.target).push(r);
  }
  for (const g of groups.values()) {
    for (const [t, rs] of g.byTarget) {
      const m = { runs: rs.length };
      for (const [name, f] of Object.entries(METRICS)) m[name] = median(rs.map(f));
      g.byTarget.set(t, m);
    }
  }
  return groups;
}

/**
 * The paired scenario: Pushi ÷ `other` (the reference, or a --baseline build) per round, the two
 * measured in the same seconds. The report takes the median of these rather than a ratio of
 * medians, which would mix rounds the host's load treated differently.
 */
function roundRatios(runs, key, other) {
  const rounds = new Map();
  for (const r of runs) {
    if (r.error || r.round == null || groupKey(r.params, r.label) !== key) continue;
    if (!rounds.has(r.round)) rounds.set(r.round, new Map());
    rounds.get(r.round).set(r.target, r.server?.cpuUsPerDelivery);
  }
  const ratios = [];
  for (const byTarget of rounds.values()) {
    const p = byTarget.get('pushi');
    const o = byTarget.get(other);
    if (p != null && o) ratios.push(p / o);
  }
  return ratios;
}

export function report(result) {
  const groups = medians(result.runs);
  const out = [];
  const conn = [
    '| scenario | server | runs | ms to all subscribed | conn/s | server CPU µs/conn | RSS idle MB | RSS KB/conn |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const del = [
    '| scenario | server | runs | deliveries/s | lost | server CPU µs/delivery | p50 ms | p99 ms |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const [k, g] of groups) {
    for (const [t, m] of g.byTarget) {
      if (g.scenario === 'connect')
        conn.push(
          `| ${k} | ${t} | ${m.runs} | ${fmt(m.msToAllSubscribed)} | ${fmt(m.connectRate)} | ${fmt(m.cpuUsPerConn)} | ${fmt(m.rssIdleMB, 1)} | ${fmt(m.rssKbPerConn, 2)} |`,
        );
      else
        del.push(
          `| ${k} | ${t} | ${m.runs} | ${fmt(m.deliveriesPerSec)} | ${fmt(m.lost)} | ${fmt(m.cpuUsPerDelivery, 2)} | ${fmt(m.p50, 1)} | ${fmt(m.p99, 1)} |`,
        );
    }
  }
  if (conn.length > 2) out.push('### Connections (medians)', '', ...conn, '');
  if (del.length > 2) out.push('### Deliveries (medians)', '', ...del, '');

  // Targets of issue 6: [what, pushi, reference, ratio, goal, met]
  const targets = [];
  const add = (what, x, y, r, goal, ok, d = 2) =>
    targets.push({ what, pushi: x, reference: y, ratio: r, goal, met: ok == null ? null : Boolean(ok), digits: d });
  const pair = (g, a = 'pushi', b = 'ref-ws') => [g.byTarget.get(a), g.byTarget.get(b)];
  let maxConnect = null;
  for (const [k, g] of groups) {
    const [p, ref] = pair(g);
    if (!p) continue;
    if (g.scenario === 'connect' && !g.label) {
      const r = ref && ratio(p.msToAllSubscribed, ref.msToAllSubscribed);
      add(
        `${k}: time to all subscribed (ms)`,
        p.msToAllSubscribed,
        ref?.msToAllSubscribed,
        r,
        '≤ 1.2× ref',
        r == null ? null : r <= 1.2,
        0,
      );
      add(
        `${k}: server CPU per connection (µs)`,
        p.cpuUsPerConn,
        ref?.cpuUsPerConn,
        ref && ratio(p.cpuUsPerConn, ref.cpuUsPerConn),
        'flat as N grows',
        null,
        0,
      );
      if (!maxConnect || g.params.conns > maxConnect.params.conns) maxConnect = { ...g, p, ref, k };
    } else if (g.scenario === 'fanout' && !g.label) {
      const rc = ref && ratio(p.cpuUsPerDelivery, ref.cpuUsPerDelivery);
      const rd = ref && ratio(p.deliveriesPerSec, ref.deliveriesPerSec);
      add(
        `${k}: server CPU per delivery (µs)`,
        p.cpuUsPerDelivery,
        ref?.cpuUsPerDelivery,
        rc,
        '≤ 1.0× ref',
        rc == null ? null : rc <= 1.0,
      );
      add(
        `${k}: deliveries/s`,
        p.deliveriesPerSec,
        ref?.deliveriesPerSec,
        rd,
        '≥ 0.95× ref',
        rd == null ? null : rd >= 0.95,
        0,
      );
      add(`${k}: lost deliveries`, p.lost, ref?.lost, null, '0', p.lost === 0, 0);
    } else if ((g.scenario === 'channels' || g.scenario === 'client-events') && !g.label) {
      const unit = g.scenario === 'channels' ? 'request' : 'event';
      const rc = ref && ratio(p.cpuUsPerDelivery, ref.cpuUsPerDelivery);
      const rp = ref && ratio(p.p99, ref.p99);
      add(
        `${k}: server CPU per ${unit} (µs)`,
        p.cpuUsPerDelivery,
        ref?.cpuUsPerDelivery,
        rc,
        '≤ 1.0× ref',
        rc == null ? null : rc <= 1.0,
        1,
      );
      add(`${k}: p99 latency (ms)`, p.p99, ref?.p99, rp, '≤ ref', rp == null ? null : rp <= 1.0, 1);
      add(`${k}: lost`, p.lost, ref?.lost, null, '0', p.lost === 0, 0);
    } else if (g.label === 'paired') {
      const other = [...g.byTarget.keys()].find((t) => t !== 'pushi');
      const ratios = other ? roundRatios(result.runs, k, other) : [];
      if (!ratios.length) continue;
      const unit = g.scenario === 'channels' ? 'request' : 'event';
      const r = median(ratios);
      const spread = `${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)} over ${ratios.length} rounds`;
      const o = g.byTarget.get(other);
      add(
        `${k}: server CPU per ${unit} (µs), same seconds; ratio = median of per-round ratios (${spread})`,
        p.cpuUsPerDelivery,
        o.cpuUsPerDelivery,
        r,
        `≤ 1.0× ${other === 'ref-ws' ? 'ref' : other}`,
        r <= 1.0,
        1,
      );
    } else if (g.label === 'persistence') {
      const on = g.byTarget.get('pushi-persist');
      const r = on && ratio(on.deliveriesPerSec, p.deliveriesPerSec);
      add(
        `${k}: deliveries/s, persistence on vs off`,
        on?.deliveriesPerSec,
        p.deliveriesPerSec,
        r,
        '≥ 0.8× off',
        r == null ? null : r >= 0.8,
        0,
      );
      add(
        `${k}: CPU µs/delivery, persistence on vs off`,
        on?.cpuUsPerDelivery,
        p.cpuUsPerDelivery,
        on && ratio(on.cpuUsPerDelivery, p.cpuUsPerDelivery),
        'info',
        null,
      );
    } else if (g.label === 'recovery') {
      const off = g.byTarget.get('pushi-norecovery');
      const r = off && ratio(p.cpuUsPerDelivery, off.cpuUsPerDelivery);
      add(
        `${k}: CPU µs/delivery, recovery on (default options) vs off`,
        p.cpuUsPerDelivery,
        off?.cpuUsPerDelivery,
        r,
        '≤ 1.10× off',
        r == null ? null : r <= 1.1,
      );
      add(`${k}: lost deliveries, recovery on`, p.lost, off?.lost, null, '0', p.lost === 0, 0);
    } else if (g.label === 'coalesce') {
      const off = g.byTarget.get('pushi-nocoalesce');
      if (off)
        add(
          `${k}: CPU µs/delivery, coalescing off (vs ref)`,
          off.cpuUsPerDelivery,
          ref?.cpuUsPerDelivery,
          ref && ratio(off.cpuUsPerDelivery, ref.cpuUsPerDelivery),
          'stretch: info',
          null,
        );
      const fan = g.scenario === 'fanout';
      add(
        `${k}: CPU µs/delivery, coalescing on (vs ref)`,
        p.cpuUsPerDelivery,
        ref?.cpuUsPerDelivery,
        ref && ratio(p.cpuUsPerDelivery, ref.cpuUsPerDelivery),
        fan ? 'stretch: < 1.0× ref' : 'info',
        fan && ref ? p.cpuUsPerDelivery < ref.cpuUsPerDelivery : null,
      );
      if (!fan && off)
        add(`${k}: p99 ms, coalescing on vs off`, p.p99, off.p99, ratio(p.p99, off.p99), 'info', null, 1);
    }
  }
  if (maxConnect) {
    const { p, ref, k } = maxConnect;
    add(
      `${k}: RSS per connection (KB)`,
      p.rssKbPerConn,
      ref?.rssKbPerConn,
      ref && ratio(p.rssKbPerConn, ref.rssKbPerConn),
      '≤ 6 KB',
      p.rssKbPerConn <= 6,
    );
    add(
      `${k}: idle RSS (MB)`,
      p.rssIdleMB,
      ref?.rssIdleMB,
      ref && ratio(p.rssIdleMB, ref.rssIdleMB),
      '≤ 80 MB',
      p.rssIdleMB <= 80,
      1,
    );
  }
  if (result.persist?.length) {
    const ok = result.persist.filter((r) => !r.error);
    const rate = median(ok.map((r) => r.acceptedPerSec));
    const durable = ok.length > 0 && ok.every((r) => r.durable);
    const ps = result.persist[0].params;
    add(
      `persist ${ps.events} triggers (persist:true, ${ps.concurrency} in flight): accepted events/s`,
      rate,
      null,
      null,
      '≥ 5000/s',
      rate != null && rate >= 5000,
      0,
    );
    add(
      `persist: every accepted event in the database (missing, median)`,
      median(ok.map((r) => r.missing)),
      null,
      null,
      'all durable',
      durable,
      0,
    );
    add(
      `persist: server CPU per persisted event (µs)`,
      median(ok.map((r) => r.serverCpuUsPerEvent)),
      null,
      null,
      'info',
      null,
      0,
    );
  }
  out.push(...recoveryTables(result, add));
  out.push(...hundredKTables(result));
  if (targets.length) {
    out.push(
      '### Issue 6 targets (Pushi vs the reference, same run, medians)',
      '',
      '| measurement | Pushi | reference | ratio | goal | met |',
      '|---|---|---|---|---|---|',
    );
    for (const t of targets)
      out.push(
        `| ${t.what} | ${fmt(t.pushi, t.digits)} | ${fmt(t.reference, t.digits)} | ${fmt(t.ratio, 2)} | ${t.goal} | ${t.met == null ? '' : t.met ? 'yes' : '**no**'} |`,
      );
    out.push('');
  }
  const text = out.join('\n');
  console.log('\n' + text);
  return { text, targets };
}
