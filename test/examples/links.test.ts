// Links between README.md, SECURITY.md and docs/ point at files that exist and at headings they
// have (GitHub's anchors), so moving or renaming a page or a heading fails the build.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';

function docs(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : name.endsWith('.md') ? [path] : [];
    });
  return ['README.md', 'SECURITY.md', ...walk('docs'), ...walk('bench').filter((f) => !f.includes('harness'))];
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const heading = !fenced && /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\- ]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n ? `${slug}-${n}` : slug);
  }
  return out;
}

test('every relative link in the docs reaches an existing file and heading', () => {
  const broken: string[] = [];
  for (const doc of docs()) {
    const text = readFileSync(doc, 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // http(s), mailto
      const [path, anchor] = target.split('#');
      const file = path ? normalize(join(dirname(doc), path)) : doc;
      if (!existsSync(file)) {
        broken.push(`${doc}: ${target} (no such file)`);
        continue;
      }
      if (anchor && !(statSync(file).isFile() && anchors(file).has(anchor)))
        broken.push(`${doc}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

test('no file refers to the old results journal: the results live in docs/performance.md', () => {
  const old = ['bench', 'RESULTS.md'].join('/'); // spelled apart so this file does not match itself
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : [path];
    });
  const files = ['README.md', 'SECURITY.md', ...['docs', 'src', 'bench', 'scripts', 'test'].flatMap(walk)];
  assert.deepEqual(
    files.filter((f) => readFileSync(f, 'utf8').includes(old)),
    [],
  );
});
