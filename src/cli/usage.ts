// What `pushi help` prints, and the version `pushi --version` reports.
import { readFileSync } from 'node:fs';
import { APPS_USAGE } from './apps.ts';

export const USAGE = `Usage: pushi [--env-file FILE] COMMAND

  pushi serve                 start the server (configuration from the environment: docs/configuration.md)
  pushi serve --workers [N]   N processes on one port, coordinated through PUSHI_REDIS_URL
                              (N defaults to the number of cores)
${APPS_USAGE}
  pushi help                  this text (also -h, --help)
  pushi --version             the version (also -v)

  --env-file FILE             read environment variables from FILE (KEY=value lines, parsed by
                              Node's own .env parser); variables already set in the environment win`;

/** The package's version: package.json sits one level above src/cli.ts and dist/cli.js alike. */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
