// What each kind of target receives for a message (the original's precedence rules).
import type { NotifyMessage } from './targets.ts';

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v ?? {}));

/** Web Push body: `web_push`, else `data` (objects as JSON, strings as they are). */
export function webPushPayload(m: NotifyMessage): string {
  return text(m.web_push !== undefined && m.web_push !== null ? m.web_push : m.data);
}

function parsed(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/**
 * APNs JSON: `apn`, else `push`, else `data`. An object with `aps` is sent as is; a string becomes the
 * alert; another object becomes an alert from its title/body (or its JSON), its fields kept beside aps.
 */
export function apnsPayload(m: NotifyMessage): Record<string, unknown> {
  const v = parsed(m.apn ?? m.push ?? m.data);
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    if (o.aps && typeof o.aps === 'object') return o;
    const alert =
      typeof o.title === 'string' || typeof o.body === 'string' ? { title: o.title, body: o.body } : JSON.stringify(o);
    return { aps: { alert }, ...o };
  }
  return { aps: { alert: typeof v === 'string' ? v : JSON.stringify(v) } };
}

/** E-mail: `subject` else "[Pushi] <event>"; `body` else the plain template; optional `html`. */
export function emailContent(m: NotifyMessage): { subject: string; text: string; html?: string } {
  const subject = typeof m.subject === 'string' && m.subject ? m.subject : `[Pushi] ${m.event}`;
  const body =
    typeof m.body === 'string' && m.body
      ? m.body
      : `Event Notification\n==================\n\nChannel: ${m.channel}\nEvent: ${m.event}\n\nData:\n${m.data}\n`;
  return { subject, text: body, ...(typeof m.html === 'string' && m.html ? { html: m.html } : {}) };
}

/** The message as a channel webhook's JSON body (no empty fields). */
export function webhookBody(m: NotifyMessage): string {
  return JSON.stringify(m);
}
