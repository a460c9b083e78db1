// `pushi apps …`: manage apps in the same store the server uses (also while it runs).
import { ConfigError, type Config } from '../config/config.ts';
import { newAppRecord } from '../apps/store-source.ts';
import { openStore } from '../store/open-store.ts';
import type { AppRecord } from '../store/apps-store.ts';

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

export async function runAppsCommand(args: string[], config: Config): Promise<void> {
  const [sub, arg] = args;
  const store = await openStore(config.storage);
  try {
    switch (sub) {
      case 'create': {
        if (!arg) throw new ConfigError('usage: pushi apps create NAME');
        const rec = newAppRecord(arg);
        await store.apps.create(rec);
        process.stdout.write(show(rec, true) + '\n');
        return;
      }
      case 'list': {
        const apps = await store.apps.list();
        if (apps.length === 0) process.stdout.write('no apps\n');
        for (const a of apps)
          process.stdout.write(`${a.id}\t${a.key}\t${a.enabled ? 'enabled' : 'disabled'}\t${a.name}\n`);
        return;
      }
      case 'show': {
        if (!arg) throw new ConfigError('usage: pushi apps show ID');
        const a = await store.apps.get(arg);
        if (!a) throw new ConfigError(`no app with id ${arg}`);
        process.stdout.write(show(a, true) + '\n');
        return;
      }
      case 'delete': {
        if (!arg) throw new ConfigError('usage: pushi apps delete ID');
        if (!(await store.apps.delete(arg))) throw new ConfigError(`no app with id ${arg}`);
        process.stdout.write(`deleted app ${arg}\n`);
        return;
      }
      default:
        throw new ConfigError('usage: pushi apps create NAME | list | show ID | delete ID');
    }
  } finally {
    await store.close();
  }
}
