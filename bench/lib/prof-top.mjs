#!/usr/bin/env node
// Summarises a .cpuprofile (from `node --cpu-prof`): self time per function (top N), and with
// --incl NAME,NAME the time spent inside each named function (its callees included).
// Usage: node bench/lib/prof-top.mjs file.cpuprofile [N] [--incl fanOut,clientEvent]
import fs from 'node:fs';

const args = process.argv.slice(2);
const inclAt = args.indexOf('--incl');
const incl = inclAt >= 0 ? args.splice(inclAt, 2)[1].split(',') : [];
const [file, nArg] = args;
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of prof.nodes) for (const c of n.children || []) parent.set(c, n.id);
const label = (cf) =>
  `${cf.functionName || '(anon)'} ${cf.url.replace(/^.*\/(node_modules|src|dist|lib|harness)\//, '$1/')}:${cf.lineNumber + 1}`;
const self = new Map();
const inside = new Map(incl.map((f) => [f, 0]));
const dt = prof.timeDeltas;
let total = 0;
let idle = 0;
for (let i = 0; i < prof.samples.length; i++) {
  const d = dt[i] || 0;
  const n = byId.get(prof.samples[i]);
  const key = label(n.callFrame);
  total += d;
  if (n.callFrame.functionName === '(idle)') idle += d;
  self.set(key, (self.get(key) || 0) + d);
  if (incl.length) {
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const fn = byId.get(id).callFrame.functionName;
      if (inside.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        inside.set(fn, inside.get(fn) + d);
      }
    }
  }
}
const busy = total - idle;
console.log(`total ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms`);
for (const [k, v] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(nArg || 30))) {
  if (k.startsWith('(idle)')) continue;
  console.log(`${((v / busy) * 100).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
}
for (const [f, v] of inside)
  console.log(`inside ${f}: ${(v / 1000).toFixed(0)} ms (${((v / busy) * 100).toFixed(1)}%)`);
