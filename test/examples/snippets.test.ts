// The code in README.md and docs/ is the code CI runs: a block marked `<!-- example: examples/FILE -->`
// (or `examples/FILE#region`) must equal that file (or the part between `#region NAME` and
// `#endregion` lines), every JavaScript, TypeScript, HTML or deploy-configuration (nginx, Caddy,
// systemd) block must be marked, and every example must be shown somewhere and run by a test under
// test/examples/ (or test/deploy/, which checks the deploy configurations with the real tools).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const CODE_LANGUAGES = new Set(['js', 'mjs', 'javascript', 'ts', 'typescript', 'html', 'nginx', 'caddy', 'ini']);
/** Where the tests that run examples live. */
const EXAMPLE_TESTS = ['test/examples', 'test/deploy'];
const MARKER = /^<!-- example: (examples\/[\w./-]+?)(?:#([\w-]+))? -->$/;

/** The files under `dir`, in its subdirectories too. */
const walk = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );

function markdownFiles(): string[] {
  return ['README.md', 'SECURITY.md', ...(existsSync('docs') ? walk('docs').filter((f) => f.endsWith('.md')) : [])];
}

interface Block {
  doc: string;
  line: number;
  lang: string;
  text: string;
  /** The marker on the line before the fence, if any. */
  example?: { file: string; region?: string };
}

function blocks(doc: string): Block[] {
  const lines = readFileSync(doc, 'utf8').split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})(\S*)/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(open[1]) && l.trim() === open[1]);
    assert.ok(end > i, `${doc}:${i + 1}: a code fence is never closed`);
    const marker = MARKER.exec(lines[i - 1] ?? '');
    out.push({
      doc,
      line: i + 1,
      lang: open[2],
      text: lines.slice(i + 1, end).join('\n'),
      example: marker ? { file: marker[1], region: marker[2] } : undefined,
    });
    i = end;
  }
  return out;
}

/** The file's text, or the lines between its `#region NAME` and `#endregion` markers. */
function exampleText(file: string, region?: string): string {
  const text = readFileSync(file, 'utf8').replace(/\n$/, '');
  if (!region) return text;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => new RegExp(`#region ${region}\\b`).test(l));
  assert.ok(start >= 0, `${file} has no #region ${region}`);
  const end = lines.findIndex((l, j) => j > start && /#endregion\b/.test(l));
  assert.ok(end > start, `${file}: #region ${region} is never closed`);
  const body = lines.slice(start + 1, end);
  const indent = Math.min(...body.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return body.map((l) => l.slice(indent)).join('\n');
}

const all = markdownFiles().flatMap(blocks);

test('every marked block in README.md and docs/ is the example file it names', () => {
  const marked = all.filter((b) => b.example);
  assert.ok(marked.length > 0, 'the docs show examples');
  for (const b of marked) {
    const { file, region } = b.example!;
    assert.ok(existsSync(file), `${b.doc}:${b.line}: ${file} does not exist`);
    assert.equal(b.text, exampleText(file, region), `${b.doc}:${b.line}: the block differs from ${file}`);
  }
});

test('every JavaScript, TypeScript, HTML and deploy-configuration block in the docs comes from an example file', () => {
  const unmarked = all.filter((b) => CODE_LANGUAGES.has(b.lang) && !b.example);
  assert.deepEqual(
    unmarked.map((b) => `${b.doc}:${b.line}`),
    [],
    'mark each with <!-- example: examples/FILE --> on the line before the fence (and make it a file)',
  );
});

test('every example is shown in the docs and run by a test', () => {
  const shown = new Set(all.flatMap((b) => (b.example ? [b.example.file] : [])));
  const tests = EXAMPLE_TESTS.flatMap(walk)
    .filter((f) => f.endsWith('.test.ts') && !f.endsWith('snippets.test.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  for (const file of walk('examples')) {
    assert.ok(shown.has(file), `${file} is not shown in README.md or docs/`);
    assert.ok(tests.includes(`'${file}'`), `${file} is not run by any test in ${EXAMPLE_TESTS.join(' or ')}`);
  }
});
