// Creating an app from what a person gave (admin API, `pushi apps create`, `pushi apps import`):
// every field checked and named when wrong, given credentials kept, clashes reported as such.
import type { AppRecord, AppsStore } from '../store/apps-store.ts';
import { AppOptionError, checkAppOptions } from './check-options.ts';
import { type Credentials, credentialError } from './credentials.ts';
import { unknownName } from './nearest-name.ts';
import { newAppRecord } from './store-source.ts';

/** Wrong input: the message names the field (HTTP 400). */
export class AppInputError extends Error {}
/** The id or key is taken by another app (HTTP 409). */
export class AppConflictError extends Error {}

export const APP_INPUT_FIELDS = ['name', 'id', 'key', 'secret', 'enabled', 'options'] as const;
const MAX_NAME = 100;

/** The app `input` describes, checked; random credentials where none were given. */
export function appFromInput(input: Record<string, unknown>): AppRecord {
  for (const field of Object.keys(input))
    if (!(APP_INPUT_FIELDS as readonly string[]).includes(field))
      throw new AppInputError(unknownName('app field', field, APP_INPUT_FIELDS));
  const given: Partial<Credentials> = {};
  for (const field of ['id', 'key', 'secret'] as const) {
    if (input[field] === undefined) continue;
    const why = credentialError(field, input[field]);
    if (why) throw new AppInputError(why);
    given[field] = input[field] as string;
  }
  const name = input.name ?? given.id;
  if (typeof name !== 'string' || !name.trim() || name.length > MAX_NAME)
    throw new AppInputError(`"name" must be a non-empty string of at most ${MAX_NAME} characters`);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
    throw new AppInputError('"enabled" must be a boolean');
  let options: Record<string, unknown>;
  try {
    options = checkAppOptions(input.options);
  } catch (err) {
    if (err instanceof AppOptionError) throw new AppInputError(err.message);
    throw err;
  }
  return { ...newAppRecord(name.trim(), options, given), enabled: input.enabled !== false };
}

/** Stores a checked app; an id or key another app has is a conflict, named. */
export async function createApp(
  store: Pick<AppsStore, 'get' | 'getByKey' | 'create'>,
  rec: AppRecord,
): Promise<AppRecord> {
  const clash = async () => {
    if (await store.get(rec.id)) return new AppConflictError(`an app with id "${rec.id}" exists`);
    if (await store.getByKey(rec.key)) return new AppConflictError(`an app with key "${rec.key}" exists`);
    return undefined;
  };
  const before = await clash();
  if (before) throw before;
  try {
    await store.create(rec);
  } catch (err) {
    throw (await clash()) ?? err; // created meanwhile by someone else: still a conflict, not a 500
  }
  return rec;
}
