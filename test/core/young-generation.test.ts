// The young-generation cap `npm start` passes to node (package.json's start script): V8's default
// lets the young generation grow to two 16 MB semi-spaces during a burst of new connections and
// keep them; 8 MB semi-spaces hold ~0.7 KB less RSS per connection at 18,000 (docs/performance.md).
// Checked on this machine's V8: a child process started with the start script's flags keeps
// many objects alive, and the young generation it reports is measured against the default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { nodeFlagsOf, startNodeFlags } from '../../bench/lib/start-flags.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The young generation's size in MB after a burst of long-lived allocations, under `flags`. */
function youngGenerationMb(flags: string[]): number {
  const script = `
    const v8 = require('node:v8');
    const keep = [];
    for (let i = 0; i < 2e6; i++) keep.push({ i, name: 'conn-' + i }); // every object lives on
    const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log('young', space.space_size / 2 ** 20, keep.length);`;
  const r = spawnSync(process.execPath, [...flags, '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  assert.equal(r.status, 0, r.stderr);
  const m = /young (\S+) 2000000/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m[1]);
}

test('npm start caps the young generation at two 8 MB semi-spaces', () => {
  const flags = startNodeFlags(ROOT);
  assert.ok(
    flags.some((f) => f.startsWith('--max-semi-space-size=')),
    `npm start passes no young-generation cap: ${flags.join(' ')}`,
  );
  const uncapped = youngGenerationMb([]); // the control: 32 MB here (V8 sizes it by the machine's memory)
  const capped = youngGenerationMb(flags);
  assert.ok(capped <= 16, `young generation ${capped} MB under npm start's flags`);
  assert.ok(capped <= uncapped, `capped ${capped} MB, default ${uncapped} MB`);
});

test('the node flags are read from the start script up to the script path', () => {
  assert.deepEqual(nodeFlagsOf('node --max-semi-space-size=8 dist/cli.js serve'), ['--max-semi-space-size=8']);
  assert.deepEqual(nodeFlagsOf('node dist/cli.js serve --workers 2'), []);
  assert.deepEqual(nodeFlagsOf(' node  --a --b=1   x.js --c'), ['--a', '--b=1']);
  assert.throws(() => nodeFlagsOf('tsx src/cli.ts serve'), /does not run node directly/);
});
