// The cluster interest benchmark's table (bench/lib/cluster-interest.mjs results), in markdown.
const TARGET = 0.3;
const fmt = (x, digits = 0) => (x == null ? 'unavailable' : x.toFixed(digits));

/** Lines of text for one result; `verdict` says whether the largest per-node ratio meets the target. */
export function reportInterest(r) {
  const o = r.options;
  const out = [
    `interest: ${o.nodes} nodes, ${o.channels} channels (${o.channels / o.nodes} per node), ${o.subs} subscribers ` +
      `per channel, ${o.rate} events/s for ${o.duration} s, ${o.payload} B` +
      `${o.recoveryWindowSeconds === undefined ? '' : `, recovery window ${o.recoveryWindowSeconds} s`}` +
      `; Redis: ${r.redisTarget ?? 'not started'}`,
  ];
  if (r.error) return [...out, `FAILED: ${r.error}`];
  const p = r.publish;
  out.push(
    `published: ${p.events} events in ${p.seconds.toFixed(1)} s = ${p.perSec}/s (${p.failed} failed` +
      `${p.firstError ? `, e.g. ${p.firstError}` : ''})`,
    '',
    '| node | inbound msgs/s (proxy) | ÷ publish rate | inbound KB/s (proxy) | inbound msgs/s (node counter) | ÷ publish rate | node CPU ms/s |',
    '|---|---|---|---|---|---|---|',
  );
  const s = p.seconds;
  for (const n of r.nodes)
    out.push(
      `| ${n.node} | ${fmt(n.tapPerSec)} | ${fmt(n.tapRatio, 2)} | ${fmt(n.tap && n.tap.bytes / s / 1024, 1)} | ` +
        `${fmt(n.counterPerSec)} | ${fmt(n.counterRatio, 2)} | ${fmt(n.cpuMs / s)} |`,
    );
  const d = r.deliveries;
  const e = r.redis.perEvent;
  out.push(
    '',
    `deliveries: expected ${d.expected}, received ${d.received}, lost ${d.lost}, duplicated ${d.duplicated}, ` +
      `on another channel ${d.wrongChannel}`,
    `Redis per event: ${e.commands} commands (${Object.entries(e.calls)
      .slice(0, 6)
      .map(([cmd, n]) => `${cmd} ${n}`)
      .join(', ')}), ${fmt(e.netOutBytes)} B out, ${fmt(e.cpuUs, 1)} µs CPU`,
  );
  const ratios = r.nodes.map((n) => n.counterRatio ?? n.tapRatio).filter((x) => x != null);
  if (ratios.length) {
    const worst = Math.max(...ratios);
    const source = r.nodes.some((n) => n.counterRatio != null) ? 'node counters' : 'proxy';
    out.push(
      `inbound ÷ publish rate, largest node (${source}): ${worst.toFixed(2)} (target <= ${TARGET}): ` +
        `${worst <= TARGET ? 'meets the target' : 'ABOVE the target'}`,
    );
  } else out.push('inbound ÷ publish rate: unavailable (no proxy in cluster mode and no node counters)');
  return out;
}

/** Whether every delivery arrived exactly once (the benchmark's exit status). */
export const deliveredExactly = (r) =>
  !r.error && r.deliveries.lost === 0 && r.deliveries.duplicated === 0 && r.deliveries.wrongChannel === 0;
