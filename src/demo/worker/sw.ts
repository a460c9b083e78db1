// The demo page's service worker (served at /demo/sw.js): shows each Web Push as a notification
// and tells the open demo pages. The payload may be JSON {title, body|message, icon, badge, image,
// tag, renotify, requireInteraction, silent, url} or plain text (then it is the body).
declare const self: ServiceWorkerGlobalScope;

type Payload = Record<string, unknown>;

/** The push's text as a payload object: JSON objects as they are, anything else as the body. */
function payloadOf(text: string): Payload {
  let p: unknown;
  try {
    p = JSON.parse(text);
  } catch {
    p = text;
  }
  if (typeof p === 'string') return { body: p };
  if (!p || typeof p !== 'object' || Array.isArray(p)) return { body: text };
  return p as Payload;
}

self.addEventListener('install', () => void self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('push', (event) => {
  const text = event.data ? event.data.text() : '';
  const p = payloadOf(text);
  const title = typeof p.title === 'string' && p.title ? p.title : 'Pushi';
  // renotify is not in TypeScript's NotificationOptions yet; browsers read it.
  const options: NotificationOptions & Record<string, unknown> = {
    body: String(p.body || p.message || ''),
    data: { url: p.url || null },
  };
  for (const k of ['icon', 'badge', 'image']) if (typeof p[k] === 'string') options[k] = p[k];
  if (typeof p.tag === 'string' && p.tag) {
    options.tag = p.tag;
    options.renotify = Boolean(p.renotify);
  }
  options.requireInteraction = Boolean(p.requireInteraction);
  options.silent = Boolean(p.silent);
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(title, options),
      self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((list) => {
        for (const c of list) c.postMessage({ pushi: 'push', title, body: options.body });
      }),
    ]),
  );
});
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data as { url?: string } | null)?.url;
  if (url) event.waitUntil(self.clients.openWindow(url));
});
