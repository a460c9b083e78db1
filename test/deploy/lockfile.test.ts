// `npm install` on a fresh clone must leave package-lock.json as committed: npm rewrites the lock's
// root entry whenever it differs from package.json, so the two are compared field by field here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const read = (file: string) => JSON.parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'));

test('the lockfile root entry states what package.json states', () => {
  const pkg = read('package.json');
  const root = read('package-lock.json').packages[''];
  for (const field of ['name', 'version', 'license', 'bin', 'engines', 'dependencies', 'devDependencies']) {
    assert.deepEqual(root[field], pkg[field], `package-lock.json packages[""].${field} differs from package.json`);
  }
});
