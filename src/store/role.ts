// A role's implementation is built from its reads and its writes, kept apart: whoever wraps a role
// (metrics/instrument-store.ts) finds every write by construction, with no list of names to keep.

/** A role method as a wrapper sees it: it only forwards the arguments. */
export type Method = (...args: unknown[]) => unknown;

export interface RoleParts {
  reads: Record<string, Method>;
  writes: Record<string, Method>;
}

const PARTS = Symbol('role parts');

/** The role as callers see it (reads and writes in one object), remembering which are which. */
export function role<R extends object, W extends object>(reads: R, writes: W): R & W {
  const merged = { ...reads, ...writes };
  Object.defineProperty(merged, PARTS, { value: { reads, writes } });
  return merged;
}

/** The reads and writes a role was built from; undefined for anything not built by role(). */
export function roleParts(value: unknown): RoleParts | undefined {
  return value && typeof value === 'object' ? (value as { [PARTS]?: RoleParts })[PARTS] : undefined;
}
