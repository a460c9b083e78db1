// The layering the code promises, checked from its imports: the protocol is pure (no I/O, no other
// layer), and the cluster adapters never reach into the hub (the hub depends on cluster/adapter.ts).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = resolve(import.meta.dirname, '../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports (static and dynamic), as a path under src/ or a package name. */
function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\s+(?:[^'"]*?\sfrom\s+)?'([^']+)'|import\(\s*'([^']+)'\s*\)/g,
  )) {
    const spec = m[1] ?? m[2];
    out.push(spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)) : spec);
  }
  return out;
}

const all = files(SRC).map((file) => ({ file: relative(SRC, file), imports: imports(file) }));

test('the import scan sees the imports it checks (hub imports the cluster adapter interface)', () => {
  const hub = all.find((f) => f.file === join('hub', 'hub.ts'));
  assert.ok(hub?.imports.includes(join('cluster', 'adapter.ts')), 'hub/hub.ts imports cluster/adapter.ts');
});

test('nothing in cluster/ imports hub/: adapters speak ids, names and frames', () => {
  const offending = all
    .filter((f) => f.file.startsWith('cluster/'))
    .flatMap((f) => f.imports.filter((i) => i.startsWith('hub/')).map((i) => `${f.file} -> ${i}`));
  assert.deepEqual(offending, []);
});

test('hub/ reaches the cluster only through the adapter interface and the default memory adapter', () => {
  const allowed = new Set([join('cluster', 'adapter.ts'), join('cluster', 'memory', 'memory-adapter.ts')]);
  const offending = all
    .filter((f) => f.file.startsWith('hub/'))
    .flatMap((f) =>
      f.imports.filter((i) => i.startsWith('cluster/') && !allowed.has(i)).map((i) => `${f.file} -> ${i}`),
    );
  assert.deepEqual(offending, []);
});

test('protocol/ is pure: it imports only protocol/ and node:crypto', () => {
  const offending = all
    .filter((f) => f.file.startsWith('protocol/'))
    .flatMap((f) =>
      f.imports.filter((i) => !i.startsWith('protocol/') && i !== 'node:crypto').map((i) => `${f.file} -> ${i}`),
    );
  assert.deepEqual(offending, []);
});

test('lines in src/ stay within 120 columns', () => {
  const long = files(SRC).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (line.length > 120 ? [`${relative(SRC, file)}:${i + 1} (${line.length})`] : [])),
  );
  assert.deepEqual(long, []);
});

/** Comparisons of an error's name with a string (`err.name === 'ReplyError'`), either way round. */
const NAME_MATCH = /\.name\s*[!=]==?\s*['"`]\w*Error['"`]|['"`]\w*Error['"`]\s*[!=]==?\s*[\w?.]*\.name\b/;

test('errors are matched with instanceof, not by comparing their name with a string', () => {
  assert.ok(NAME_MATCH.test("if (err?.name === 'ReplyError') return;"), 'the pattern sees a name comparison');
  const offending = files(SRC).flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .flatMap((line, i) => (NAME_MATCH.test(line) ? [`${relative(SRC, file)}:${i + 1}: ${line.trim()}`] : [])),
  );
  assert.deepEqual(offending, []);
});
