#!/usr/bin/env node
// Bundles the browser code into dist/: the client (dist/pushi.js, a global `Pushi`), the web
// console's and the demo page's scripts and stylesheets, and the demo's service worker. Imports are
// inlined: both stylesheets @import src/console/browser/base.css, so each bundle carries it.
// The ESM build (dist/client/) comes from tsc. The server serves these files from dist/; when it
// runs from source (tsx) it calls bundleAsset() in memory instead (src/api/routes/static.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Each file under dist/ and the source it is bundled from. */
export const ASSETS = {
  'pushi.js': { entry: 'src/client/browser.ts', banner: '/* Pushi client — Apache-2.0 */' },
  'console/console.js': { entry: 'src/console/browser/main.ts' },
  'console/console.css': { entry: 'src/console/browser/console.css' },
  'demo/demo.js': { entry: 'src/demo/browser/main.ts' },
  'demo/demo.css': { entry: 'src/demo/browser/demo.css' },
  'demo/sw.js': { entry: 'src/demo/worker/sw.ts' },
};

/** Returns one asset, minified (scripts as an IIFE), as text. */
export async function bundleAsset(name) {
  const spec = ASSETS[name];
  if (!spec) throw new Error(`no browser asset ${name}`);
  const result = await build({
    entryPoints: [join(root, spec.entry)],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2019'],
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const text = result.outputFiles[0].text;
  return spec.banner ? `${spec.banner}\n${text}` : text;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const name of Object.keys(ASSETS)) {
    const out = join(root, 'dist', name);
    mkdirSync(dirname(out), { recursive: true });
    const text = await bundleAsset(name);
    writeFileSync(out, text);
    console.log(`wrote ${out} (${text.length} bytes)`);
  }
}
