// Web Push (RFC 8030/8291/8292): the `web-push` package encrypts (aes128gcm) and signs (VAPID);
// the request itself goes through our client so http(s), deadlines and status codes are ours.
import { createECDH } from 'node:crypto';
import type WebPush from 'web-push';
import type { App } from '../../apps/app.ts';
import { type HttpClient, NetworkError, retryAfterMs } from './http.ts';
import { failed, type Outcome, sent } from './outcome.ts';
import { webPushPayload } from './payload.ts';
import type { NotifyMessage, WebPushTarget } from './targets.ts';

export const DEFAULT_VAPID_SUBJECT = 'mailto:noreply@pushi.invalid';

/** A new VAPID key pair (base64url raw P-256). */
export function newVapidKeys(): { vapidPublicKey: string; vapidPrivateKey: string } {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  // The private key is a 32-byte scalar; left-pad the rare shorter one, as web-push does.
  const priv = Buffer.alloc(32);
  const raw = ecdh.getPrivateKey();
  raw.copy(priv, 32 - raw.length);
  return { vapidPublicKey: ecdh.getPublicKey().toString('base64url'), vapidPrivateKey: priv.toString('base64url') };
}

/** web-push, loaded on the first push: deployments that send none do not carry it. */
let webpush: typeof WebPush | undefined;

/**
 * Re-seeding an env/file app must not drop a key pair made by GET /apps/{id}/vapid_key: browsers'
 * subscriptions are bound to it. The seed's own keys win when it has them.
 */
export function keepGeneratedKeys(
  existing: Record<string, unknown>,
  seed: Record<string, unknown>,
): Record<string, unknown> {
  if (seed.vapidPrivateKey || !existing.vapidPrivateKey || !existing.vapidPublicKey) return seed;
  return { ...seed, vapidPublicKey: existing.vapidPublicKey, vapidPrivateKey: existing.vapidPrivateKey };
}

export class WebPushSender {
  constructor(private readonly http: HttpClient) {}

  async send(app: App, t: WebPushTarget, message: NotifyMessage, timeoutMs: number): Promise<Outcome> {
    const o = app.options;
    // Not retried, and no keys made here: a browser subscribes with the public key the app serves
    // (GET /apps/{id}/vapid_key makes the pair), so without keys no subscription can be for this
    // app, and pushes signed with a new pair would be refused by the push service.
    if (!o.vapidPublicKey || !o.vapidPrivateKey)
      return failed(
        'the app has no VAPID keys, so no browser can have subscribed with them: serve GET /apps/{id}/vapid_key ' +
          'to browsers before they subscribe (it makes the keys)',
        false,
      );
    let details: ReturnType<typeof WebPush.generateRequestDetails>;
    webpush ??= (await import('web-push')).default;
    try {
      details = webpush.generateRequestDetails(
        { endpoint: t.endpoint, keys: { p256dh: t.p256dh, auth: t.auth } },
        webPushPayload(message),
        {
          vapidDetails: {
            subject: o.vapidSubject || DEFAULT_VAPID_SUBJECT,
            publicKey: o.vapidPublicKey,
            privateKey: o.vapidPrivateKey,
          },
          TTL: o.webPushTtl,
          contentEncoding: 'aes128gcm',
        },
      );
    } catch (err) {
      return failed(`cannot encrypt for this subscription: ${(err as Error).message}`, false);
    }
    let res;
    try {
      res = await this.http.send(details.endpoint, {
        method: 'POST',
        headers: details.headers as Record<string, string | number>,
        body: details.body ?? undefined,
        timeoutMs,
      });
    } catch (err) {
      return failed(err instanceof NetworkError ? err.message : String(err), true);
    }
    const s = res.status;
    if (s >= 200 && s < 300) return sent(s);
    const why = `push service answered ${s}${res.body ? `: ${res.body.slice(0, 200)}` : ''}`;
    if (s === 404 || s === 410) return failed(why, false, { gone: true, status: s });
    if (s === 429 || s >= 500)
      return failed(why, true, { status: s, retryAfterMs: retryAfterMs(res.headers['retry-after']) });
    return failed(why, false, { status: s }); // 400 bad request, 401/403 VAPID refused, 413 too large
  }
}
