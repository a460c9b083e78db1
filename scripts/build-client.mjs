#!/usr/bin/env node
// Bundles the browser client into one minified file, dist/pushi.js, exposing a global `Pushi`.
// The ESM build (dist/client/) comes from tsc. The server serves this file at GET /pushi.js;
// when it runs from source (tsx) it calls bundleClient() in memory instead.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Returns the minified IIFE bundle as text. */
export async function bundleClient() {
  const result = await build({
    entryPoints: [join(root, 'src/client/browser.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2019'],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return `/* Pushi client — Apache-2.0 */\n${result.outputFiles[0].text}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = join(root, 'dist/pushi.js');
  mkdirSync(dirname(out), { recursive: true });
  const code = await bundleClient();
  writeFileSync(out, code);
  console.log(`wrote ${out} (${code.length} bytes)`);
}
