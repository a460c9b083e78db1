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

/**
 * A bundle of roles with every role method replaced by `wrap(op, fn, write)` (`op` is role.method);
 * anything else (the lifecycle: migrate, ping, close, kind) reaches the original through the prototype.
 */
export function wrapRoles<S extends object>(stores: S, wrap: (op: string, fn: Method, write: boolean) => Method): S {
  const out = Object.create(stores) as Record<string, unknown>;
  const wrapAll = (name: string, methods: Record<string, Method>, write: boolean) =>
    Object.fromEntries(Object.entries(methods).map(([m, fn]) => [m, wrap(`${name}.${m}`, fn, write)]));
  for (const [name, value] of Object.entries(stores)) {
    const parts = roleParts(value);
    if (parts) out[name] = role(wrapAll(name, parts.reads, false), wrapAll(name, parts.writes, true));
  }
  return out as S;
}
