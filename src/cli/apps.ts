// `pushi apps …`: manage apps in the same store the server uses (also while it runs).
import { readFileSync } from 'node:fs';
import { ConfigError, type Config } from '../config/config.ts';
import { AppConflictError, AppInputError, appFromInput, createApp } from '../apps/create-app.ts';
import { unknownName } from '../apps/nearest-name.ts';
import type { AppRecord } from '../store/apps-store.ts';
import type { Stores } from '../store/stores.ts';
import { appsToImport, ImportError } from './import-formats.ts';

export const APPS_USAGE = `  pushi apps create NAME [--id ID] [--key KEY] [--secret SECRET]
                              create an app; credentials not given are random
  pushi apps import FILE      create the apps of a soketi config, a Pusher-style list or a Pushi apps file
  pushi apps list             list apps
  pushi apps show ID          show one app with its secret
  pushi apps delete ID        delete an app and everything stored for it`;

const show = (a: AppRecord, withSecret: boolean) =>
  JSON.stringify(
    {
      id: a.id,
      key: a.key,
      ...(withSecret ? { secret: a.secret } : {}),
      name: a.name,
      enabled: a.enabled,
      options: a.options,
    },
    null,
    2,
  );

const CREATE_FLAGS = ['--id', '--key', '--secret'];

/** `NAME [--id ID] [--key KEY] [--secret SECRET]` (also `--id=ID`) → the app's input. */
function createInput(args: string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      if (input.name !== undefined) throw new ConfigError(`one NAME only, got "${input.name}" and "${arg}"`);
      input.name = arg;
      continue;
    }
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg];
    if (!CREATE_FLAGS.includes(flag!))
      throw new ConfigError(unknownName('option for apps create', flag!, CREATE_FLAGS));
    const value = inline ?? args[++i];
    if (value === undefined) throw new ConfigError(`${flag} needs a value`);
    input[flag!.slice(2)] = value;
  }
  if (input.name === undefined)
    throw new ConfigError('usage: pushi apps create NAME [--id ID] [--key KEY] [--secret SECRET]');
  return input;
}

/** Input and conflict errors are the user's: one line, no stack. */
function userError(err: unknown): unknown {
  if (err instanceof AppInputError || err instanceof AppConflictError || err instanceof ImportError)
    return new ConfigError(err.message);
  return err;
}

/** All apps checked (and clashes found) before any is written: a file imports whole or not at all. */
async function importApps(store: Stores, path: string): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read "${path}": ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  const { format, apps } = appsToImport(parsed);
  const records = apps.map((a) => {
    try {
      return appFromInput(a.input);
    } catch (err) {
      throw new ConfigError(`${a.where}: ${(err as Error).message}`);
    }
  });
  const ids = new Set<string>();
  const keys = new Set<string>();
  for (const [i, rec] of records.entries()) {
    const where = apps[i]!.where;
    if (ids.has(rec.id) || keys.has(rec.key)) throw new ConfigError(`${where}: its id or key repeats an earlier app's`);
    ids.add(rec.id);
    keys.add(rec.key);
    if (await store.apps.get(rec.id))
      throw new ConfigError(`${where}: an app with id "${rec.id}" exists; nothing imported`);
    if (await store.apps.getByKey(rec.key))
      throw new ConfigError(`${where}: an app with key "${rec.key}" exists; nothing imported`);
  }
  for (const [i, rec] of records.entries()) {
    await createApp(store.apps, rec);
    process.stdout.write(`imported app ${rec.id} (key ${rec.key}, name ${rec.name})\n`);
    for (const s of apps[i]!.skipped)
      process.stderr.write(`pushi: ${apps[i]!.where} (${rec.id}): not imported: ${s}\n`);
  }
  process.stdout.write(`${records.length} app${records.length === 1 ? '' : 's'} imported from ${format} format\n`);
}

export async function runAppsCommand(args: string[], config: Config): Promise<void> {
  const [sub, ...rest] = args;
  const arg = rest[0];
  const subcommands = ['create', 'import', 'list', 'show', 'delete'];
  if (!sub || !subcommands.includes(sub))
    throw new ConfigError(sub ? unknownName('apps command', sub, subcommands) : `usage:\n${APPS_USAGE}`);
  const input = sub === 'create' ? createInput(rest) : undefined; // usage errors before the store opens
  if (sub !== 'create' && sub !== 'list' && !arg)
    throw new ConfigError(`usage: pushi apps ${sub} ${sub === 'import' ? 'FILE' : 'ID'}`);
  // Loaded here: `pushi help` and the primary of `serve --workers` import this file (its usage) but need no store.
  const { openStore } = await import('../store/open-store.ts');
  const store = await openStore(config.storage);
  try {
    switch (sub) {
      case 'create': {
        const rec = await createApp(store.apps, appFromInput(input!));
        process.stdout.write(show(rec, true) + '\n');
        return;
      }
      case 'import':
        return await importApps(store, arg!);
      case 'list': {
        const apps = await store.apps.list();
        if (apps.length === 0) process.stdout.write('no apps\n');
        for (const a of apps)
          process.stdout.write(`${a.id}\t${a.key}\t${a.enabled ? 'enabled' : 'disabled'}\t${a.name}\n`);
        return;
      }
      case 'show': {
        const a = await store.apps.get(arg!);
        if (!a) throw new ConfigError(`no app with id ${arg}`);
        process.stdout.write(show(a, true) + '\n');
        return;
      }
      case 'delete': {
        if (!(await store.apps.delete(arg!))) throw new ConfigError(`no app with id ${arg}`);
        process.stdout.write(`deleted app ${arg}\n`);
        return;
      }
    }
  } catch (err) {
    throw userError(err);
  } finally {
    await store.close();
  }
}
