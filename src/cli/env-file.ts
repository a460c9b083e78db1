// `--env-file FILE` (anywhere on the command line): the file's variables join the environment
// through Node's own parser, so quoting and comments follow Node's --env-file rules.
import { ConfigError } from '../config/config.ts';

/** Loads every --env-file given and returns the other arguments. Variables already set win. */
export function takeEnvFiles(argv: string[]): string[] {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== '--env-file' && !arg.startsWith('--env-file=')) {
      rest.push(arg);
      continue;
    }
    const path = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
    if (!path) throw new ConfigError('--env-file needs a file name');
    try {
      process.loadEnvFile(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ConfigError(`--env-file: cannot read "${path}" (${code ?? (err as Error).message})`);
    }
  }
  return rest;
}
