// One log line per key per interval under a flood (a store that stays down, a stream of rejected
// connections), with the number of lines held back since the last one, so a flood is still visible.

/**
 * `pass(key)` answers undefined while a line for `key` was written less than `everyMs` ago (and
 * counts it), else how many it held back for `key` since the last line that passed.
 * Keys are few (operation names, close codes): the map holds one entry per key ever seen.
 */
export function logThrottle<K>(everyMs: number, now: () => number = Date.now): (key: K) => number | undefined {
  const last = new Map<K, { at: number; suppressed: number }>();
  return (key) => {
    const at = now();
    const seen = last.get(key);
    if (seen && at - seen.at < everyMs) {
      seen.suppressed++;
      return undefined;
    }
    last.set(key, { at, suppressed: 0 });
    return seen?.suppressed ?? 0;
  };
}
