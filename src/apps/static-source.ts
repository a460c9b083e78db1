// Apps known up front: the environment app, a JSON file, the generated default app.
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config.ts';
import { type App, type AppSource, resolveOptions } from './app.ts';
import { checkAppOptions } from './check-options.ts';
import { credentialError } from './credentials.ts';
import { unknownName } from './nearest-name.ts';

export class StaticAppSource implements AppSource {
  private readonly byId = new Map<string, App>();
  private readonly byKey = new Map<string, App>();

  constructor(apps: App[] = []) {
    for (const app of apps) this.add(app);
  }

  add(app: App): void {
    this.byId.set(app.id, app);
    this.byKey.set(app.key, app);
  }

  list(): App[] {
    return [...this.byId.values()];
  }

  async findById(id: string): Promise<App | undefined> {
    return this.peekById(id);
  }

  async findByKey(key: string): Promise<App | undefined> {
    return this.peekByKey(key);
  }

  peekById(id: string): App | undefined {
    return this.byId.get(id);
  }

  peekByKey(key: string): App | undefined {
    return this.byKey.get(key);
  }
}

interface AppFileEntry {
  id?: unknown;
  key?: unknown;
  secret?: unknown;
  name?: unknown;
  enabled?: unknown;
  options?: unknown;
}

const APP_FILE_FIELDS = ['id', 'key', 'secret', 'name', 'enabled', 'options'];

/** Reads PUSHI_APPS_FILE: `{"apps":[{id,key,secret,name?,options?}]}` or a bare array. */
export function readAppsFile(path: string): App[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    // One line: JSON.parse messages quote the file's text, newlines included.
    throw new ConfigError(`PUSHI_APPS_FILE: cannot read "${path}": ${(err as Error).message.replace(/\s+/g, ' ')}`);
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { apps?: unknown })?.apps;
  if (!Array.isArray(list))
    throw new ConfigError(`PUSHI_APPS_FILE: "${path}" must hold an array of apps or {"apps":[...]}`);
  return list.map((entry: AppFileEntry, i) => {
    for (const field of ['id', 'key', 'secret'] as const) {
      if (typeof entry?.[field] !== 'string' || !entry[field]) {
        throw new ConfigError(`PUSHI_APPS_FILE: app #${i + 1} needs a string "${field}"`);
      }
      const why = credentialError(field, entry[field]);
      if (why) throw new ConfigError(`PUSHI_APPS_FILE: app #${i + 1}: ${why}`);
    }
    for (const field of Object.keys(entry))
      if (!APP_FILE_FIELDS.includes(field))
        throw new ConfigError(`PUSHI_APPS_FILE: app #${i + 1}: ${unknownName('app field', field, APP_FILE_FIELDS)}`);
    try {
      checkAppOptions(entry.options);
      return {
        id: entry.id as string,
        key: entry.key as string,
        secret: entry.secret as string,
        name: typeof entry.name === 'string' ? entry.name : (entry.id as string),
        enabled: entry.enabled !== false,
        options: resolveOptions(entry.options as Record<string, unknown> | undefined),
      };
    } catch (err) {
      throw new ConfigError(`PUSHI_APPS_FILE: app #${i + 1}: ${(err as Error).message}`);
    }
  });
}
