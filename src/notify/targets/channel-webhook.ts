// Channel webhooks: the message JSON POSTed to a URL, signed like the app webhooks
// (X-Pusher-Key, X-Pusher-Signature = hex HMAC-SHA256 of the body with the app secret).
import type { App } from '../../apps/app.ts';
import { webhookSignature } from '../../protocol/signatures.ts';
import { type HttpClient, NetworkError, retryAfterMs } from './http.ts';
import { failed, type Outcome, sent } from './outcome.ts';
import { webhookBody } from './payload.ts';
import type { NotifyMessage } from './targets.ts';

export class ChannelWebhookSender {
  constructor(private readonly http: HttpClient) {}

  async send(app: App, url: string, message: NotifyMessage, timeoutMs: number): Promise<Outcome> {
    const body = webhookBody(message);
    const headers = {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'User-Agent': 'pushi-notifications',
      'X-Pusher-Key': app.key,
      'X-Pusher-Signature': webhookSignature(app.secret, body),
    };
    try {
      const res = await this.http.send(url, { method: 'POST', headers, body, timeoutMs });
      if (res.status >= 200 && res.status < 300) return sent(res.status);
      // Like the app webhooks: any other answer is tried again until the retry window closes.
      return failed(`HTTP ${res.status}`, true, {
        status: res.status,
        retryAfterMs: retryAfterMs(res.headers['retry-after']),
      });
    } catch (err) {
      return failed(err instanceof NetworkError ? err.message : String(err), true);
    }
  }
}
