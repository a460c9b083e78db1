// Client events: `client-` events a socket sends to the other subscribers of a channel it is in.
import { channelRules } from '../protocol/channels.ts';
import { ErrorCode, warn } from '../protocol/errors.ts';
import { type AppEventFields, encodeAppEvent, type InboundMessage } from '../protocol/messages.ts';
import { verbatimData, verbatimFrame } from '../protocol/verbatim.ts';
import type { Connection } from './connection.ts';
import type { Hub } from './hub.ts';

const rejected = (message: string) => warn(ErrorCode.CLIENT_EVENT_REJECTED, message);

export function clientEvent(hub: Hub, conn: Connection, msg: InboundMessage): Promise<void> | void {
  const options = conn.app.options;
  if (!options.clientEvents) throw rejected('Client events are not enabled for this app');
  const channel = msg.channel;
  if (channel === undefined) throw rejected('Client event needs a channel');
  const sub = conn.channels.get(channel);
  if (!sub) throw rejected(`Client event rejected: not subscribed to ${channel}`);
  const rules = channelRules(channel);
  if (!rules.clientEvents) {
    throw rejected('Client events are only allowed on private and presence channels (not encrypted ones)');
  }
  const now = conn.lastSeen; // set by hub.message as the frame arrived: no second clock read per event
  if (now - conn.windowStart >= 1000) {
    conn.windowStart = now;
    conn.windowCount = 0;
  }
  if (++conn.windowCount > options.maxClientEventsPerSecond) {
    throw rejected(`Client event rate limit exceeded (${options.maxClientEventsPerSecond} per second)`);
  }
  if (msg.event.length > 200) throw rejected('Event name longer than 200 characters');
  // Laid out as clients write it, the received text is the frame (verbatim.ts): no stringify.
  const rawData = verbatimData(msg.text, msg.event, channel);
  // The data as stored and reported, and counted against the limit: a string as sent (not its
  // JSON quoting), anything else as its JSON (encoded once, spliced into the frame as is).
  const dataIsText = typeof msg.data === 'string';
  const dataText = dataIsText ? (msg.data as string) : (rawData ?? encodeData(msg.data));
  const size = Buffer.byteLength(dataText);
  if (size > options.maxEventBytes)
    throw rejected(`Client event data is ${size} bytes; the limit is ${options.maxEventBytes}`);
  const userId = rules.kind === 'presence' ? sub.userId : undefined;
  const e = { channel, event: msg.event, data: dataText, socketId: conn.id, userId };
  const fields: AppEventFields = dataIsText
    ? { event: msg.event, channel, data: dataText, userId }
    : { event: msg.event, channel, dataJson: dataText, userId };
  const stored = hub.extension?.persistClientEvent?.(conn, e, fields, msg.persist);
  if (stored) {
    // Returned to the hub so later messages of this socket wait for it: order is kept.
    return stored.then((frame) => {
      hub.publish(conn.app.id, channel, frame, conn.id);
      hub.observer.clientEvent?.(conn.app.id, e);
    });
  }
  const frame = rawData === undefined ? encodeAppEvent(fields) : verbatimFrame(msg.text, userId);
  hub.publish(conn.app.id, channel, Buffer.from(frame), conn.id);
  hub.observer.clientEvent?.(conn.app.id, e);
}

/** The data as JSON text, once; data nested past what JSON.stringify can walk is refused. */
function encodeData(data: unknown): string {
  try {
    return JSON.stringify(data ?? null);
  } catch {
    throw rejected('Client event data is nested too deeply');
  }
}
