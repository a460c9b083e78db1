// Web Push in the browser: subscribe a service worker to push with the app's VAPID public key, then
// hand the subscription to your back end, which registers it as a target with the server SDK
// (`pushi.addTarget({ channel, kind: 'web_push', target })`) — the app secret never reaches the page.

/** What the server needs of a browser subscription. */
export interface WebPushKeys {
  endpoint: string;
  p256dh: string;
  auth: string;
}

export interface WebPushOptions {
  /** The service worker: its script URL (registered here) or an existing registration. */
  serviceWorker: string | ServiceWorkerRegistration;
  /** Scope when registering by URL (default: the script's folder). */
  scope?: string;
  /** The app's VAPID public key (base64url) … */
  vapidKey?: string;
  /** … or a URL answering {vapid_public_key}, such as GET /vapid_key/<app key> on the Pushi server. */
  vapidKeyUrl?: string;
  /** Where the subscription goes: a URL that gets a JSON POST {channel, subscription}, or a function. */
  register: string | ((subscription: WebPushKeys, channel: string | undefined) => Promise<unknown>);
  /** The channel to be notified of (sent along to `register`). */
  channel?: string;
  /** Extra headers for the `register` POST (a CSRF token, a session). */
  headers?: Record<string, string>;
}

/** The endpoint and keys of a PushSubscription. */
export function webPushKeys(sub: PushSubscription): WebPushKeys {
  const json = sub.toJSON() as { endpoint?: string; keys?: { p256dh?: string; auth?: string } };
  const key = (name: 'p256dh' | 'auth') => json.keys?.[name] ?? toBase64Url(sub.getKey(name));
  return { endpoint: sub.endpoint, p256dh: key('p256dh'), auth: key('auth') };
}

function toBase64Url(buf: ArrayBuffer | null): string {
  if (!buf) throw new Error('the push subscription has no keys');
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((text.length + 3) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function registration(o: Pick<WebPushOptions, 'serviceWorker' | 'scope'>): Promise<ServiceWorkerRegistration> {
  const nav = globalThis.navigator as Navigator | undefined;
  if (!nav?.serviceWorker || !('PushManager' in globalThis))
    throw new Error('This browser has no service workers or Push API');
  const reg =
    typeof o.serviceWorker === 'string'
      ? await nav.serviceWorker.register(o.serviceWorker, o.scope ? { scope: o.scope } : undefined)
      : o.serviceWorker;
  // pushManager.subscribe needs an active worker.
  const worker = reg.installing ?? reg.waiting;
  if (!reg.active && worker) {
    await new Promise<void>((resolve, reject) => {
      worker.addEventListener('statechange', () => {
        if (worker.state === 'activated') resolve();
        if (worker.state === 'redundant') reject(new Error('the service worker failed to install'));
      });
    });
  }
  return reg;
}

async function vapidKey(o: WebPushOptions): Promise<string> {
  if (o.vapidKey) return o.vapidKey;
  if (!o.vapidKeyUrl) throw new Error('give vapidKey or vapidKeyUrl');
  const res = await fetch(o.vapidKeyUrl);
  if (!res.ok) throw new Error(`${o.vapidKeyUrl} answered ${res.status}`);
  return ((await res.json()) as { vapid_public_key: string }).vapid_public_key;
}

/**
 * Asks for notification permission (call it from a click), subscribes the service worker to push
 * (reusing its subscription when there is one) and registers it through `register`.
 */
export async function subscribeWebPush(o: WebPushOptions): Promise<WebPushKeys> {
  const N = (globalThis as { Notification?: typeof Notification }).Notification;
  if (N && N.permission !== 'granted' && (await N.requestPermission()) !== 'granted')
    throw new Error('Notification permission was not granted');
  const reg = await registration(o);
  const sub =
    (await reg.pushManager.getSubscription()) ??
    (await reg.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: fromBase64Url(await vapidKey(o)) as BufferSource,
    }));
  const keys = webPushKeys(sub);
  if (typeof o.register === 'function') await o.register(keys, o.channel);
  else {
    const res = await fetch(o.register, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...o.headers },
      body: JSON.stringify({ channel: o.channel, subscription: keys }),
    });
    if (!res.ok) throw new Error(`${o.register} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }
  return keys;
}

/** Ends the worker's push subscription; returns what it was (tell your back end to remove the target). */
export async function unsubscribeWebPush(
  o: Pick<WebPushOptions, 'serviceWorker' | 'scope'>,
): Promise<WebPushKeys | undefined> {
  const reg = await registration(o);
  const sub = await reg.pushManager.getSubscription();
  if (!sub) return undefined;
  const keys = webPushKeys(sub);
  await sub.unsubscribe();
  return keys;
}

export const webPush = { subscribe: subscribeWebPush, unsubscribe: unsubscribeWebPush, keys: webPushKeys };
