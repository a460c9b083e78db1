// `pushi apps import FILE`: apps from soketi's config (appManager.array.apps), a Pusher-style
// credentials list, or Pushi's own apps file, turned into app inputs for create-app.ts. soketi's
// names are matched in any of its spellings (camelCase, PascalCase, snake_case); its settings that
// Pushi has no place for are reported, and names neither knows are refused.
import { unknownName } from '../apps/nearest-name.ts';

export interface ImportedApp {
  /** Where it came from, for messages: `app #2`. */
  where: string;
  input: Record<string, unknown>;
  /** Settings that were not carried over, and why. */
  skipped: string[];
}

export class ImportError extends Error {}

type Convert = (value: unknown, name: string) => unknown;

/** A whole number, also from soketi's numeric strings; -1 (soketi's "unlimited") as undefined. */
function wholeOrUnlimited(value: unknown, name: string): number | undefined {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (n === -1) return undefined;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0)
    throw new ImportError(`${name} must be a whole number (or -1), got ${JSON.stringify(value)}`);
  return n;
}

const count: Convert = (v, n) => wholeOrUnlimited(v, n);
const kilobytes: Convert = (v, n) => {
  const kb = wholeOrUnlimited(v, n);
  return kb === undefined ? undefined : kb * 1024;
};
const bool: Convert = (v, n) => {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === 1 || v === '1') return true;
  if (v === 'false' || v === 0 || v === '0') return false;
  throw new ImportError(`${n} must be true or false, got ${JSON.stringify(v)}`);
};

/** soketi's names, lower-cased without underscores → the Pushi option and the value's conversion. */
const SOKETI_OPTIONS: Record<string, [string, Convert]> = {
  maxconnections: ['maxConnections', (v, n) => count(v, n) ?? 0], // -1 unlimited = Pushi's 0
  enableclientmessages: ['clientEvents', bool],
  enableuserauthentication: ['userAuthentication', bool],
  maxclienteventspersec: ['maxClientEventsPerSecond', count],
  maxclienteventspersecond: ['maxClientEventsPerSecond', count],
  maxpresencemembersperchannel: ['maxPresenceMembers', count],
  maxpresencemembersizeinkb: ['maxPresenceUserInfoBytes', kilobytes],
  maxeventpayloadinkb: ['maxEventBytes', kilobytes],
  maxeventchannelsatonce: ['maxChannelsPerTrigger', count],
  maxeventbatchsize: ['maxBatchEvents', count],
};

/** soketi's names Pushi has no per-app setting for: reported, not imported. */
const SOKETI_UNSUPPORTED: Record<string, string> = {
  maxbackendeventspersec: 'Pushi limits all signed API requests together (option maxApiRequestsPerSecond)',
  maxbackendeventspersecond: 'Pushi limits all signed API requests together (option maxApiRequestsPerSecond)',
  maxreadreqpersec: 'Pushi limits all signed API requests together (option maxApiRequestsPerSecond)',
  maxreadrequestspersecond: 'Pushi limits all signed API requests together (option maxApiRequestsPerSecond)',
  maxchannelnamelength: 'channel names are limited to 200 characters for every app',
  maxeventnamelength: 'event names are limited to 200 characters for every app',
};

const SOKETI_CREDENTIALS: Record<string, string> = {
  id: 'id',
  appid: 'id',
  key: 'key',
  appkey: 'key',
  secret: 'secret',
  appsecret: 'secret',
  enabled: 'enabled',
  name: 'name',
};

const normal = (name: string) => name.replace(/_/g, '').toLowerCase();
const KNOWN_SOKETI = [
  'id',
  'key',
  'secret',
  'enabled',
  'name',
  'app_id',
  'webhooks',
  'cluster',
  'maxConnections',
  'enableClientMessages',
  'enableUserAuthentication',
  'maxClientEventsPerSecond',
  'maxPresenceMembersPerChannel',
  'maxPresenceMemberSizeInKb',
  'maxEventPayloadInKb',
  'maxEventChannelsAtOnce',
  'maxEventBatchSize',
  'maxBackendEventsPerSecond',
  'maxReadRequestsPerSecond',
  'maxChannelNameLength',
  'maxEventNameLength',
];

/** One soketi (or Pusher-style) app entry: credentials kept, options mapped, the rest reported. */
function fromSoketi(entry: Record<string, unknown>, where: string): ImportedApp {
  const input: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  const skipped: string[] = [];
  for (const [name, value] of Object.entries(entry)) {
    const n = normal(name);
    const field = SOKETI_CREDENTIALS[n];
    if (field) {
      input[field] = field === 'enabled' ? bool(value, `${where}: ${name}`) : value;
      continue;
    }
    if (n === 'cluster') {
      skipped.push(`${name}: Pushi has no clusters (clients connect to its host)`);
      continue;
    }
    if (n === 'webhooks') {
      const hooks = webhooksFromSoketi(value, `${where}: ${name}`, skipped);
      if (hooks.length) options.webhooks = hooks;
      continue;
    }
    const mapped = SOKETI_OPTIONS[n];
    if (mapped) {
      const converted = mapped[1](value, `${where}: ${name}`);
      if (converted === undefined) skipped.push(`${name}: -1 (unlimited) has no equivalent; Pushi's default applies`);
      else options[mapped[0]] = converted;
      continue;
    }
    if (SOKETI_UNSUPPORTED[n]) {
      skipped.push(`${name}: ${SOKETI_UNSUPPORTED[n]}`);
      continue;
    }
    throw new ImportError(`${where}: ${unknownName('soketi or Pusher app setting', name, KNOWN_SOKETI)}`);
  }
  if (Object.keys(options).length) input.options = options;
  return { where, input, skipped };
}

/** soketi webhooks {url, event_types, filter?} → Pushi's {url, events, channelPrefix?}. */
function webhooksFromSoketi(value: unknown, where: string, skipped: string[]): unknown[] {
  let list = value;
  if (typeof list === 'string') {
    try {
      list = JSON.parse(list); // soketi's SQL drivers keep them as JSON text
    } catch {
      throw new ImportError(`${where} is text that is not JSON`);
    }
  }
  if (!Array.isArray(list)) throw new ImportError(`${where} must be a list`);
  return list.map((raw, i) => {
    const w = (raw ?? {}) as Record<string, unknown>;
    const at = `${where}[${i}]`;
    if (w.lambda_function !== undefined || w.lambda !== undefined)
      throw new ImportError(`${at}: AWS Lambda webhooks cannot be imported; give an http(s) url instead`);
    const hook: Record<string, unknown> = { url: w.url, events: w.event_types ?? w.events };
    const filter = (w.filter ?? {}) as Record<string, unknown>;
    if (typeof filter.channel_name_starts_with === 'string') hook.channelPrefix = filter.channel_name_starts_with;
    if (filter.channel_name_ends_with !== undefined) skipped.push(`${at}.filter.channel_name_ends_with: not supported`);
    if (w.headers !== undefined) skipped.push(`${at}.headers: Pushi signs webhooks and sends no custom headers`);
    for (const k of Object.keys(w))
      if (!['url', 'event_types', 'events', 'filter', 'headers'].includes(k))
        throw new ImportError(
          `${at}: ${unknownName('webhook setting', k, ['url', 'event_types', 'filter', 'headers'])}`,
        );
    return hook;
  });
}

/** Pushi's own entry ({id, key, secret, name?, enabled?, options?}): passed on as it is; create-app checks it. */
const fromPushi = (entry: Record<string, unknown>, where: string): ImportedApp => ({
  where,
  input: entry,
  skipped: [],
});

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** obj[a][b]… where each step is an object, else undefined. */
function dig(obj: Record<string, unknown>, ...path: string[]): unknown {
  let at: unknown = obj;
  for (const step of path) at = isObject(at) ? at[step] : undefined;
  return at;
}

/** The apps a parsed import file holds, in the format it is written in. */
export function appsToImport(parsed: unknown): { format: string; apps: ImportedApp[] } {
  const obj = isObject(parsed) ? parsed : {};
  const soketi =
    dig(obj, 'appManager', 'array', 'apps') ?? dig(obj, 'app_manager', 'array', 'apps') ?? obj['appManager.array.apps'];
  let format: string;
  let list: unknown;
  let read: (e: Record<string, unknown>, where: string) => ImportedApp;
  if (soketi !== undefined) [format, list, read] = ['soketi', soketi, fromSoketi];
  else if (Array.isArray(obj.apps)) [format, list, read] = ['pushi', obj.apps, fromPushi];
  else if (Array.isArray(parsed)) {
    const pushiShaped = parsed.some((e) => e && typeof e === 'object' && 'options' in e);
    [format, list, read] = pushiShaped ? ['pushi', parsed, fromPushi] : ['pusher/soketi list', parsed, fromSoketi];
  } else {
    throw new ImportError(
      'the file holds no apps: expected {"appManager":{"array":{"apps":[…]}}} (soketi), ' +
        '[{"app_id","key","secret"}] (Pusher-style) or {"apps":[…]} (Pushi)',
    );
  }
  if (!Array.isArray(list)) throw new ImportError(`the ${format} apps must be a list`);
  const apps = list.map((entry, i) => {
    if (!isObject(entry)) throw new ImportError(`app #${i + 1} must be an object`);
    const app = read(entry, `app #${i + 1}`);
    // Importing is for keeping credentials: one left out would silently become a random one.
    for (const field of ['id', 'key', 'secret'])
      if (app.input[field] === undefined) throw new ImportError(`${app.where} has no "${field}"`);
    return app;
  });
  return { format, apps };
}
