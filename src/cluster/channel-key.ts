// One app's channel as one Map key. NUL separates the parts: neither an app id (letters, digits,
// ". _ -") nor a channel name (protocol/channels.ts) can hold it, so the key splits back exactly.

export function channelKey(appId: string, channel: string): string {
  return `${appId}\0${channel}`;
}

export function splitChannelKey(key: string): [appId: string, channel: string] {
  const cut = key.indexOf('\0');
  return [key.slice(0, cut), key.slice(cut + 1)];
}
