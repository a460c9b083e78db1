// V8 heap policy for a long-running server, set once before the server starts. The young
// generation's cap cannot be set here (V8 sizes it when the heap is made): package.json's start
// script passes --max-semi-space-size on the node command line (docs/operations.md, heap policy).
import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring unless the operator chose on the node command line
 * (`node --allocation-site-pretenuring dist/cli.js serve`; NODE_OPTIONS does not take that flag).
 *
 * Why: during a burst of new connections most objects live on, so V8 marks some allocation sites
 * "tenure" and from then on allocates their objects straight into the old generation. When steady
 * traffic follows, such per-message objects die at once but keep their young children alive
 * through every scavenge (old-to-new references are roots there) until the next full GC. Measured
 * with `npm run bench -- --scenarios client-events --node-args="--trace-gc-nvp"`: in about a third
 * of runs ~1.25 MB survived and was promoted at every scavenge (20-30 % more CPU per event); with
 * pretenuring off, none of eight runs did.
 */
export function tuneHeapForServer(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => a.includes('allocation-site-pretenuring'))) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
