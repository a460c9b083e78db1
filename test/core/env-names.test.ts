// Start-up refuses PUSHI_ and SSL variables it does not know (config.ts ENV_NAMES). A variable read
// anywhere in src/, or by an example in examples/ that the docs show, but missing from that list would
// be refused too: this test names it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENV_NAMES, loadConfig } from '../../src/config/config.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));

test('every PUSHI_/SERVER_/APP_ variable named in src/ or examples/ is accepted at start-up', () => {
  const pattern = /\b(PUSHI_[A-Z0-9_]*[A-Z0-9]|SERVER_(?:HOST|PORT|SSL[A-Z_]*)|APP_(?:HOST|PORT|SSL[A-Z_]*))\b/g;
  const named = new Set(
    [...files(SRC), ...files(EXAMPLES)].flatMap((f) => readFileSync(f, 'utf8').match(pattern) ?? []),
  );
  assert.ok(named.size > 20, 'the scan finds the variables');
  for (const name of named) {
    assert.doesNotThrow(() => loadConfig({ [name]: '' }), `${name} is refused`);
  }
  for (const name of ENV_NAMES) assert.doesNotThrow(() => loadConfig({ [name]: '' }), name);
});

test('a misspelt one is refused with the nearest name', () => {
  assert.throws(
    () => loadConfig({ PUSHI_ADMIN_TOKN: 'x' }),
    /"PUSHI_ADMIN_TOKN" \(did you mean "PUSHI_ADMIN_TOKEN"\?\)/,
  );
  assert.throws(() => loadConfig({ APP_SSL_CERT: 'x' }), /"APP_SSL_CERT" \(did you mean "APP_SSL_CER"\?\)/);
  assert.doesNotThrow(() => loadConfig({ PUSHI_TEST_ANYTHING: 'x', APP_ENV: 'production', SERVER_NAME: 'x' }));
});
