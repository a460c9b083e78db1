// Runs `pushi serve` (the entry given as the first argument) on an empty SQLite database. The
// harness restarts a target for every measurement; a database left by the previous one would hand
// its stored events back in every subscription_succeeded, which the load generator counts as
// deliveries (they carry its timestamp mark) instead of subscriptions.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function removeDatabase(file) {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [entry] = process.argv.splice(2, 1); // the CLI reads its command from argv[2]
  if (process.env.PUSHI_DB) removeDatabase(process.env.PUSHI_DB);
  await import(pathToFileURL(path.resolve(entry)).href);
}
