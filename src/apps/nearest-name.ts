// "Did you mean …?" for names a person typed: option keys, commands, environment variables.

const MAX_COMPARED = 64;

/** Edits (insert, delete, substitute, swap two neighbours) from a to b: optimal string alignment distance. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * The known name closest to `given` (case ignored), when it is close enough to be a slip: at most
 * a third of the name's length in edits (at least 2), so "maxConections" finds "maxConnections"
 * but "colour" finds nothing among option names.
 */
export function nearestName(given: string, known: readonly string[]): string | undefined {
  // The comparison costs length × length: a name far longer than any known one is no slip.
  if (given.length > MAX_COMPARED) return undefined;
  const g = given.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    const d = editDistance(g, name.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(2, Math.floor(given.length / 3)) ? best : undefined;
}

/** `unknown app option "clientEvent" (did you mean "clientEvents"?)`, or the list of valid names when none is near. */
export function unknownName(what: string, given: string, known: readonly string[]): string {
  const near = nearestName(given, known);
  const shown = given.length > MAX_COMPARED ? `${given.slice(0, MAX_COMPARED)}…` : given;
  return near
    ? `unknown ${what} "${shown}" (did you mean "${near}"?)`
    : `unknown ${what} "${shown}" (known: ${known.join(', ')})`;
}
