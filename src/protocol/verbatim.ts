// Forwarding a client event as the client wrote it. pusher-js and most clients send a client event
// as JSON.stringify of {event, data, channel} (or {event, channel, data}): already the frame its
// peers should get. When the received text has exactly that layout, it goes out as received, with
// no JSON.stringify per event. Pure: no sockets here.

const QUOTE = 0x22;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const EVENT_KEY = '{"event":"';
const CHANNEL_KEY = '"channel":"';
const DATA_KEY = '"data":';

/**
 * The raw JSON of `data` when `text` (a message that JSON.parse accepted, giving `event` and
 * `channel`) is exactly `{"event":"…","channel":"…","data":…}` or `{"event":"…","data":…,"channel":"…"}`:
 * no other key, no key twice, no whitespace between keys, no escapes in the event name. Then the
 * text holds nothing but what was parsed, and peers parse the same three values from it. Otherwise
 * undefined (the caller encodes the event itself).
 */
export function verbatimData(text: string, event: string, channel: string): string | undefined {
  // A name without a backslash that matches the text up to a quote stands there unescaped: where
  // the text had an escape, the name would hold the decoded character (a backslash only for `\\`).
  if (!text.startsWith(EVENT_KEY) || !text.startsWith(event, EVENT_KEY.length) || event.includes('\\'))
    return undefined;
  let i = EVENT_KEY.length + event.length;
  if (text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COMMA) return undefined;
  i += 2;
  const channelEnd = afterChannel(text, i, channel);
  if (channelEnd > 0) {
    if (text.charCodeAt(channelEnd) !== COMMA || !text.startsWith(DATA_KEY, channelEnd + 1)) return undefined;
    const start = channelEnd + 1 + DATA_KEY.length;
    const end = valueEnd(text, start);
    return closesText(text, end) ? text.slice(start, end) : undefined;
  }
  if (!text.startsWith(DATA_KEY, i)) return undefined;
  const start = i + DATA_KEY.length;
  const end = valueEnd(text, start);
  if (end < 0 || text.charCodeAt(end) !== COMMA) return undefined;
  return closesText(text, afterChannel(text, end + 1, channel)) ? text.slice(start, end) : undefined;
}

/** `i` is the object's closing brace and the text's last character. */
function closesText(text: string, i: number): boolean {
  return i === text.length - 1 && text.charCodeAt(i) === CLOSE_BRACE;
}

/** The frame text for a verbatim event, with the server's user_id added on presence channels. */
export function verbatimFrame(text: string, userId: string | undefined): string {
  return userId === undefined ? text : `${text.slice(0, -1)},"user_id":${JSON.stringify(userId)}}`;
}

/** Index after `"channel":"<channel>"` at `i`, or -1. Channel names (validated) never need escapes. */
function afterChannel(text: string, i: number, channel: string): number {
  if (!text.startsWith(CHANNEL_KEY, i)) return -1;
  i += CHANNEL_KEY.length;
  if (!text.startsWith(channel, i) || text.charCodeAt(i + channel.length) !== QUOTE) return -1;
  return i + channel.length + 1;
}

/** Index just after the JSON value starting at `i` in valid JSON, or -1. */
function valueEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return stringEnd(text, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        j = stringEnd(text, j) - 1;
        if (j < 0) return -1;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return j + 1;
    }
    return -1;
  }
  // A number, true, false or null: no quotes or brackets inside, it ends where the object goes on.
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_BRACE) return j > i ? j : -1;
  }
  return -1;
}

/** Index just after the string whose opening quote is at `i`, or -1. */
function stringEnd(text: string, i: number): number {
  for (let j = text.indexOf('"', i + 1); j >= 0; j = text.indexOf('"', j + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(j - 1 - backslashes) === BACKSLASH) backslashes++;
    if ((backslashes & 1) === 0) return j + 1;
  }
  return -1;
}
