// Headless Debian Chromium for the browser tests, driven by playwright-core (no browser download).
// Locally a missing browser skips with the reason; in CI (.ci/run installs it) it is a failure.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
// Without the background-networking flags Chromium keeps calling out, refused by a closed network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const missing = !existsSync(CHROMIUM);

/** The `skip` of a browser suite: the reason when Chromium is missing outside CI, else false. */
export const skipBrowser =
  missing && process.env.CI !== 'true' ? `${CHROMIUM} not installed (apt-get install chromium)` : false;

/** A persistent context on a fresh profile; close() removes the profile too. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (missing) throw new Error(`CI=true and ${CHROMIUM} is missing: .ci/run must install Debian's chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'pushi-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
