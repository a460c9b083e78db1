// The demo page's service worker (served at /demo/sw.js): shows each Web Push as a notification
// and tells the open demo pages. The payload may be JSON {title, body|message, icon, badge, image,
// tag, renotify, requireInteraction, silent, url} or plain text (then it is the body).
export const DEMO_SW_JS = String.raw`'use strict';
self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener('push', function (event) {
  var text = event.data ? event.data.text() : '';
  var p;
  try { p = JSON.parse(text); } catch (e) { p = text; }
  if (typeof p === 'string') p = { body: p };
  else if (!p || typeof p !== 'object' || Array.isArray(p)) p = { body: text };
  var title = typeof p.title === 'string' && p.title ? p.title : 'Pushi';
  var options = { body: String(p.body || p.message || ''), data: { url: p.url || null } };
  ['icon', 'badge', 'image'].forEach(function (k) { if (typeof p[k] === 'string') options[k] = p[k]; });
  if (typeof p.tag === 'string' && p.tag) { options.tag = p.tag; options.renotify = !!p.renotify; }
  options.requireInteraction = !!p.requireInteraction;
  options.silent = !!p.silent;
  event.waitUntil(Promise.all([
    self.registration.showNotification(title, options),
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then(function (list) {
      list.forEach(function (c) { c.postMessage({ pushi: 'push', title: title, body: options.body }); });
    })
  ]));
});
self.addEventListener('notificationclick', function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  if (url) event.waitUntil(self.clients.openWindow(url));
});
`;
