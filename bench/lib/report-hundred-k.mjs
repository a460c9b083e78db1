// Tables for bench/run.mjs's summary: the hundred-k runs, and the TIME_WAIT waits before each connect
// measurement.
const mb = (kb) => (kb == null ? '-' : Math.round(kb / 1024));
const s = (ms) => (ms == null ? '-' : (ms / 1000).toFixed(1));

export function hundredKTables(result) {
  const out = [];
  const runs = result.hundredK ?? [];
  if (runs.length) {
    out.push(
      '### hundred-k',
      '',
      '| connections subscribed | workers | s to all subscribed | conn/s | subscriptions/s | server CPU µs/conn | RSS idle MB | RSS MB | KB/conn (above idle) | deliveries (lost) | deliveries/s | latency p50 / p95 / p99 ms | server CPU µs/delivery |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of runs) {
      if (r.error && !r.connect) {
        out.push(`| not run: ${r.error.split('\n')[0]} |`);
        continue;
      }
      const c = r.connect ?? {};
      const f = r.fanout;
      const l = f?.latencyMs ?? {};
      out.push(
        `| ${c.subscribed} of ${c.asked} | ${r.params.workers} | ${s(c.msToAllSubscribed)} | ${c.connectionsPerSec ?? '-'} | ` +
          `${c.subscriptionsPerSec} | ${c.serverCpuUsPerConnection} | ${mb(r.server?.rssKbIdle)} | ${mb(r.server?.rssKbConnected)} | ` +
          `${r.server?.kbPerConnection} (${r.server?.kbPerConnectionAboveIdle}) | ` +
          (f
            ? `${f.received} of ${f.expected} (${f.lost}) | ${f.deliveriesPerSec} | ${l.p50} / ${l.p95} / ${l.p99} | ${f.serverCpuUsPerDelivery} |`
            : '- | - | - | - |'),
      );
    }
    out.push('');
  }
  const waits = result.timeWaits ?? [];
  if (waits.length) {
    out.push(
      '### TIME_WAIT before each connect measurement',
      '',
      '| measurement | ephemeral ports held: TIME_WAIT / open | waited s | left |',
      '|---|---|---|---|',
    );
    for (const w of waits)
      out.push(`| connect ${w.conns} ${w.target} | ${w.timeWait} / ${w.open} | ${s(w.waitedMs)} | ${w.after} |`);
    out.push('');
  }
  return out;
}
