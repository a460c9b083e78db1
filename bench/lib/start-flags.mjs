// The node flags `npm start` passes (package.json's start script is the one place they are set):
// benchmarks run Pushi the way users start it, so a heap flag measured here is a flag users get.
import fs from 'node:fs';

/** The `--…` options between `node` and the script in an `npm start` command line. */
export function nodeFlagsOf(startScript) {
  const words = startScript.trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`the start script does not run node directly: "${startScript}"`);
  const flags = [];
  for (const w of words.slice(1)) {
    if (!w.startsWith('-')) break;
    flags.push(w);
  }
  return flags;
}

/** The node flags of the project's `npm start` (package.json next to `root`). */
export function startNodeFlags(root) {
  const pkg = JSON.parse(fs.readFileSync(`${root}/package.json`, 'utf8'));
  return nodeFlagsOf(pkg.scripts.start);
}
