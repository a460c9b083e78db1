// Shared fast-check pieces for the hardening tests and scripts/fuzz.mjs: the fixed seed and
// byte/character-level mutations of otherwise valid input.
import fc from 'fast-check';

/** Fixed so a failure reproduces; PUSHI_FUZZ_SEED overrides it to explore further. */
export const SEED = Number(process.env.PUSHI_FUZZ_SEED ?? 20240601);

type Op =
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'replace'; at: number; text: string }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; len: number };

const SPECIAL = fc.constantFrom(
  '"',
  '\\',
  '{',
  '}',
  '[',
  ']',
  ':',
  ',',
  '\u0000',
  '\ud800',
  '\uffff',
  '%',
  '&',
  '=',
  '\n',
  'null',
  '1e999',
  '-0',
);

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(SPECIAL, fc.string({ unit: 'binary', maxLength: 6 })),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    at: fc.nat(),
    text: fc.oneof(SPECIAL, fc.string({ unit: 'binary', minLength: 1, maxLength: 3 })),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
);

function apply(s: string, o: Op): string {
  const at = s.length === 0 ? 0 : o.at % (s.length + 1);
  switch (o.kind) {
    case 'delete':
      return s.slice(0, at) + s.slice(at + o.len);
    case 'insert':
      return s.slice(0, at) + o.text + s.slice(at);
    case 'replace':
      return s.slice(0, at) + o.text + s.slice(at + o.text.length);
    case 'truncate':
      return s.slice(0, at);
    case 'duplicate':
      return s.slice(0, at + o.len) + s.slice(at, at + o.len) + s.slice(at + o.len);
  }
}

/** One to four random edits of `s` (characters deleted, inserted, replaced, cut, repeated). */
export function mutateString(s: string): fc.Arbitrary<string> {
  return fc.array(op, { minLength: 1, maxLength: 4 }).map((ops) => ops.reduce(apply, s));
}

/** The same edits on bytes (invalid UTF-8 included). */
export function mutateBytes(b: Buffer): fc.Arbitrary<Buffer> {
  return fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'insert', 'delete')), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) => {
      const out = [...b];
      for (const [pos, byte, how] of edits) {
        const at = out.length === 0 ? 0 : pos % out.length;
        if (how === 'set' && out.length) out[at] = byte;
        else if (how === 'insert') out.splice(at, 0, byte);
        else out.splice(at, 1);
      }
      return Buffer.from(out);
    });
}
