// V8 heap policy for a long-running server, set once before the server starts.
import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring unless the operator set it themselves (NODE_OPTIONS or
 * node flags). Why: a burst of connections makes V8 pretenure allocation sites whose first objects
 * lived long (a socket's first frame stays referenced while the connection idles); once steady
 * traffic starts, every message's objects from such a site land in the old generation and keep
 * their young children alive through each scavenge until the next full GC. Measured with
 * `npm run bench -- --scenarios client-events --node-args="--trace-gc-nvp"`: in about a third of
 * runs ~1.25 MB survived and was promoted every scavenge (20-30 % more CPU per event); with
 * pretenuring off, no run did.
 */
export function tuneHeapForServer(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  if (execArgv.some((a) => a.includes('allocation-site-pretenuring')) || nodeOptions.includes('allocation-site-pretenuring')) return false;
  setFlagsFromString('--no-allocation-site-pretenuring');
  return true;
}
