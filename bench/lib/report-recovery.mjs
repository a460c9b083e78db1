// The delivery-continuity rows of the report: recovery-memory and recovery-reconnect tables
// (bench/lib/recovery-*.mjs results), and their goals for the targets table. recovery-cost runs
// through the harness and is reported with the other fan-out groups (bench/lib/report.mjs).
export const median = (xs) => {
  const v = xs.filter((x) => x != null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
const fmt = (x, d = 0) => (x == null ? '-' : Number(x).toFixed(d));
const MB = (b) => fmt(b / 2 ** 20, 1);
const range = (xs, f = (x) => fmt(x, 2)) => {
  const v = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!v.length) return '-';
  return v.length === 1 || f(v[0]) === f(v.at(-1)) ? f(v[0]) : `${f(v[0])} – ${f(v.at(-1))}`;
};

const groupBy = (runs, key) => {
  const g = new Map();
  for (const r of runs) {
    const k = key(r.params);
    if (!g.has(k)) g.set(k, []);
    g.get(k).push(r);
  }
  return g;
};

const row = (cells) => `| ${cells.join(' | ')} |`;
const table = (title, head) => [title, '', row(head), row(head.map(() => '---'))];

function memoryTable(runs) {
  const out = table('### Delivery continuity: memory of the recent history (default options, no subscribers)', [
    'channels × events, payload',
    'runs',
    'kept per channel',
    'kept',
    'live memory after GC, + MB (heap + buffers)',
    'RSS + MB',
    'B per channel',
    'B per kept event (frame B)',
    'counted by the cap, MB',
  ]);
  const g = groupBy(runs, (p) => `${p.channels} × ${p.events}, ${p.payload} B`);
  for (const [k, rs] of g) {
    const ok = rs.filter((r) => !r.error);
    if (!ok.length) {
      out.push(row([k, 0, `error: ${rs[0].error.split('\n')[0]}`, '', '', '', '', '', '']));
      continue;
    }
    const med = (f) => median(ok.map(f));
    out.push(
      row([
        k,
        ok.length,
        range(
          ok.flatMap((r) => [r.keptSample.min, r.keptSample.max]),
          (x) => fmt(x),
        ),
        range(
          ok.map((r) => r.keptFraction * 100),
          (x) => `${fmt(x, 1)}%`,
        ),
        `${range(
          ok.map((r) => r.liveDeltaBytes),
          MB,
        )} (${MB(med((r) => r.heapDeltaBytes))} + ${MB(med((r) => r.externalDeltaBytes))})`,
        range(
          ok.map((r) => r.rssDeltaBytes),
          MB,
        ),
        range(
          ok.map((r) => r.bytesPerChannel),
          (x) => fmt(x),
        ),
        `${range(
          ok.map((r) => r.bytesPerKeptEvent),
          (x) => fmt(x),
        )} (${fmt(med((r) => r.frameBytes))})`,
        `${range(
          ok.map((r) => r.accountedBytes),
          MB,
        )} of ${MB(ok[0].params.maxBytes)}`,
      ]),
    );
  }
  return out;
}

function reconnectTable(runs, add) {
  const out = table('### Delivery continuity: clients that come back and recover, all at once', [
    'clients, channels, missed per channel',
    'runs × rounds',
    'fresh connect + subscribe, ms',
    'reconnect + recover, ms',
    'ratio (median of rounds)',
    'server CPU µs per client, fresh / recover',
    'every client verified',
  ]);
  const g = groupBy(runs, (p) => `${p.clients}, ${p.channels}, ${p.missed}`);
  for (const [k, rs] of g) {
    const ok = rs.filter((r) => !r.error);
    if (!ok.length) {
      out.push(row([k, 0, `error: ${rs[0].error.split('\n')[0]}`, '', '', '', '']));
      continue;
    }
    const ratios = ok.flatMap((r) => r.ratios);
    const r = median(ratios);
    const verified = ok.length === rs.length && ok.every((x) => x.verified);
    const ms = (phase) => fmt(median(ok.flatMap((x) => x[phase].map((p) => p.ms))));
    const cpu = (f) => fmt(median(ok.map(f)));
    out.push(
      row([
        k,
        `${ok.length} × ${ok[0].params.rounds}`,
        ms('fresh'),
        ms('recover'),
        `${fmt(r, 2)} (${range(ratios)})`,
        `${cpu((x) => x.freshCpuUsPerClient)} / ${cpu((x) => x.recoverCpuUsPerClient)}`,
        verified ? 'yes' : `**no**: ${ok.find((x) => !x.verified)?.firstBad ?? 'a run failed'}`,
      ]),
    );
    // A time from runs that did not recover what they should have is no answer to the goal.
    const met = verified && r != null && r <= 1.5;
    add(`recovery-reconnect ${k}: time to recover ÷ fresh connect`, null, null, r, '≤ 1.5', met);
    add(`recovery-reconnect ${k}: every client got exactly the missed events`, null, null, null, 'all', verified);
  }
  return out;
}

/** Markdown lines for result.recovery; goals go through add(what, x, y, ratio, goal, met). */
export function recoveryTables(result, add) {
  const runs = result.recovery ?? [];
  const out = [];
  const mem = runs.filter((r) => r.scenario === 'recovery-memory');
  const rec = runs.filter((r) => r.scenario === 'recovery-reconnect');
  if (mem.length) out.push(...memoryTable(mem), '');
  if (rec.length) out.push(...reconnectTable(rec, add), '');
  return out;
}
