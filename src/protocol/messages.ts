// Decoding inbound Pusher messages and encoding outbound ones. Pure: no sockets here.
// Rule: every pusher:* / pusher_internal:* event we send carries `data` as a JSON string.
import { warn } from './errors.ts';

export interface InboundMessage {
  event: string;
  channel?: string;
  /** Decoded object for pusher:* events; for client events, whatever the client sent. */
  data: unknown;
  /** Pushi: a client event asking to be stored (or not), overriding the app default. */
  persist?: boolean;
  /** The message as received (a client event may be forwarded as is: verbatim.ts). */
  text: string;
}

/** Parses one text frame. Throws a non-fatal PusherError on anything that is not a Pusher message. */
export function decodeInbound(text: string): InboundMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw warn(null, 'Invalid JSON: message must be a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw warn(null, 'Invalid message: expected a JSON object with an "event"');
  }
  const msg = parsed as Record<string, unknown>;
  if (typeof msg.event !== 'string' || msg.event.length === 0) {
    throw warn(null, 'Invalid message: "event" must be a non-empty string');
  }
  if (msg.channel !== undefined && typeof msg.channel !== 'string') {
    throw warn(null, 'Invalid message: "channel" must be a string');
  }
  let data = msg.data;
  // Clients may send data as an object or as a JSON-encoded string; pusher:* events need the object.
  if (typeof data === 'string' && msg.event.startsWith('pusher:') && data.length > 0) {
    try {
      data = JSON.parse(data);
    } catch {
      throw warn(null, `Invalid message: "data" of ${msg.event} is not JSON`);
    }
  }
  return new Inbound(msg.event, msg.channel, data, typeof msg.persist === 'boolean' ? msg.persist : undefined, text);
}

/**
 * A decoded message in one fixed shape, whatever keys and key order the client sent: each reader
 * down the line (dispatch, client events, extensions) then sees one object layout, not one per
 * variant of the JSON, and its property loads stay fast.
 */
class Inbound implements InboundMessage {
  constructor(
    readonly event: string,
    readonly channel: string | undefined,
    readonly data: unknown,
    readonly persist: boolean | undefined,
    readonly text: string,
  ) {}
}

/** Returns `data` as a plain object, or throws naming the event. */
export function objectData(msg: InboundMessage): Record<string, unknown> {
  const d = msg.data;
  if (d === null || typeof d !== 'object' || Array.isArray(d)) {
    throw warn(null, `Invalid message: ${msg.event} needs "data" as an object`);
  }
  return d as Record<string, unknown>;
}

/** A spec event: `data` is JSON-encoded into a string. */
export function encodeSpecEvent(event: string, data: unknown, channel?: string): string {
  const payload = JSON.stringify(data ?? {});
  return channel === undefined
    ? `{"event":${JSON.stringify(event)},"data":${JSON.stringify(payload)}}`
    : `{"event":${JSON.stringify(event)},"channel":${JSON.stringify(channel)},"data":${JSON.stringify(payload)}}`;
}

export interface AppEventFields {
  event: string;
  channel: string;
  /** Passed through verbatim: a string from the HTTP API, or whatever a client event carried. */
  data?: unknown;
  /** Instead of `data`: the data already JSON-encoded (client events encode it once for everything). */
  dataJson?: string;
  userId?: string;
  /** Pushi persistence: the stored event's id and time (ms since epoch). */
  mid?: string;
  timestamp?: number;
}

/** An app event (triggered or client). Encoded once per event and written to every subscriber. */
export function encodeAppEvent(e: AppEventFields): string {
  if (e.dataJson === undefined) {
    // One JSON.stringify of a flat object writes one flat string; undefined fields are left out.
    return JSON.stringify({
      event: e.event,
      channel: e.channel,
      data: e.data ?? null,
      user_id: e.userId,
      mid: e.mid,
      timestamp: e.timestamp,
    });
  }
  let out = `{"event":${JSON.stringify(e.event)},"channel":${JSON.stringify(e.channel)},"data":${e.dataJson}`;
  if (e.userId !== undefined) out += `,"user_id":${JSON.stringify(e.userId)}`;
  if (e.mid !== undefined) out += `,"mid":${JSON.stringify(e.mid)},"timestamp":${e.timestamp}`;
  return out + '}';
}

export const pusherError = (message: string, code: number | null) => encodeSpecEvent('pusher:error', { message, code });
