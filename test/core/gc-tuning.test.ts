// The heap policy `pushi serve` sets before starting: V8's allocation-site pretenuring off, unless
// the operator chose for themselves. Checked on a real V8 through its own pretenuring trace: a
// child process allocates many long-lived object literals, and V8 reports the allocation sites it
// weighs for pretenuring only when pretenuring is on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tuneHeapForServer } from '../../src/cli/gc-tuning.ts';

const MODULE = fileURLToPath(new URL('../../src/cli/gc-tuning.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

/** Allocation sites V8 reported after the (optional) tuning, in a fresh process. */
function sitesReported(tune: boolean): number {
  const script = `
    import { tuneHeapForServer } from ${JSON.stringify(MODULE)};
    ${tune ? "console.log('tuned', tuneHeapForServer([]));" : ''}
    console.log('--- start');
    const keep = [];
    const make = (i) => ({ i, pair: [i, i + 1], box: { v: i } }); // every object lives on
    for (let i = 0; i < 400000; i++) keep.push(make(i));
    console.log('--- end', keep.length);`;
  const r = spawnSync(
    process.execPath,
    ['--trace-pretenuring-statistics', '--import', TSX, '--input-type=module', '-e', script],
    { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
  );
  assert.equal(r.status, 0, r.stderr);
  if (tune) assert.match(r.stdout, /tuned true/);
  const after = r.stdout.slice(r.stdout.indexOf('--- start'));
  assert.match(after, /--- end 400000/);
  return (after.match(/AllocationSite/g) ?? []).length;
}

test('V8 weighs allocation sites for pretenuring by default (the control)', () => {
  assert.ok(sitesReported(false) > 0);
});

test('after tuneHeapForServer, no allocation site is weighed for pretenuring', () => {
  assert.equal(sitesReported(true), 0);
});

test("an operator's own pretenuring flag on the node command line wins: nothing is changed", () => {
  assert.equal(tuneHeapForServer(['--allocation-site-pretenuring']), false);
  assert.equal(tuneHeapForServer(['--max-old-space-size=512', '--no-allocation-site-pretenuring']), false);
});
