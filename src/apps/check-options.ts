// App options as a person writes them (apps file, admin API, CLI import): every key must be a known
// option, every number a whole number in its range. Stored records go through resolveOptions alone,
// so an app saved before a check existed still loads.
import { type AppOptions, DEFAULT_APP_OPTIONS, resolveOptions } from './app.ts';
import { unknownName } from './nearest-name.ts';

export const APP_OPTION_NAMES = Object.keys(DEFAULT_APP_OPTIONS) as readonly (keyof AppOptions)[];

type NumericOption = {
  [K in keyof AppOptions]: AppOptions[K] extends number ? K : never;
}[keyof AppOptions];

const MAX = Number.MAX_SAFE_INTEGER;
/** [min, max] of each number; 0 means "unlimited" or "off" where the option's comment says so. */
const RANGES: Record<NumericOption, readonly [number, number]> = {
  maxClientEventsPerSecond: [0, MAX],
  maxConnections: [0, MAX],
  maxPresenceMembers: [1, MAX],
  maxPresenceUserInfoBytes: [0, MAX],
  maxEventBytes: [1, MAX],
  maxChannelsPerTrigger: [1, MAX],
  maxBatchEvents: [1, MAX],
  userAuthenticationTimeout: [1, MAX],
  cacheTtl: [0, MAX],
  historyCount: [0, 100],
  maxStoredEventsPerChannel: [0, MAX],
  maxStoredEventAge: [0, MAX],
  webhookBatchMs: [0, 60_000],
  webhookRetryMs: [1, MAX],
  webhookRetryForMs: [0, MAX],
  webhookTimeoutMs: [1, 60_000],
  maxApiRequestsPerSecond: [0, MAX],
  webPushTtl: [0, MAX],
  recoveryWindowSeconds: [0, MAX],
  recoveryMaxEvents: [0, MAX],
  maxChannelsPerConnection: [0, MAX],
};

export class AppOptionError extends TypeError {}

/** The given options, checked; throws AppOptionError naming the first wrong key (and the nearest valid name). */
export function checkAppOptions(given: unknown): Record<string, unknown> {
  if (given === undefined) return {};
  if (!given || typeof given !== 'object' || Array.isArray(given))
    throw new AppOptionError('app options must be an object of option names and values');
  const options = given as Record<string, unknown>;
  for (const [key, value] of Object.entries(options)) {
    if (!(APP_OPTION_NAMES as readonly string[]).includes(key))
      throw new AppOptionError(unknownName('app option', key, APP_OPTION_NAMES));
    if (key === 'webhooks') checkWebhookKeys(value);
    const range = RANGES[key as NumericOption];
    if (!range) continue;
    const [min, max] = range;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const bound = max === MAX ? `${min} or more` : `from ${min} to ${max}`;
      throw new AppOptionError(`app option ${key} must be a whole number ${bound}, got ${JSON.stringify(value)}`);
    }
  }
  try {
    resolveOptions(options); // types, webhooks, notification keys
  } catch (err) {
    throw new AppOptionError((err as Error).message);
  }
  return options;
}

const WEBHOOK_KEYS = ['url', 'events', 'channelPrefix'];

/** resolveOptions checks the values; a misspelt key (`event`, `channel_prefix`) would otherwise be dropped. */
function checkWebhookKeys(list: unknown): void {
  if (!Array.isArray(list)) return;
  list.forEach((w, i) => {
    if (!w || typeof w !== 'object') return;
    for (const key of Object.keys(w))
      if (!WEBHOOK_KEYS.includes(key))
        throw new AppOptionError(unknownName(`key in webhooks[${i}]`, key, WEBHOOK_KEYS));
  });
}
