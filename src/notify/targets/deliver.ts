// One attempt to bring a message to one target, whatever its kind.
import type { App } from '../../apps/app.ts';
import { ApnsSender } from './apns.ts';
import { ChannelWebhookSender } from './channel-webhook.ts';
import { EmailSender } from './email.ts';
import { HttpClient } from './http.ts';
import { failed, type Outcome } from './outcome.ts';
import type { NotifyMessage, WebPushTarget } from './targets.ts';
import { WebPushSender } from './web-push.ts';

export interface DelivererOptions {
  /** Global SMTP_URL for apps without smtpUrl. */
  smtpUrl?: string;
  /** Extra trusted CA certificates for HTTPS and APNs (tests). */
  ca?: string | Buffer;
}

const MAX_TIMEOUT_MS = 60_000;

export class Deliverer {
  private readonly http: HttpClient;
  private readonly webPush: WebPushSender;
  private readonly apns: ApnsSender;
  private readonly email: EmailSender;
  private readonly webhook: ChannelWebhookSender;

  constructor(o: DelivererOptions = {}) {
    this.http = new HttpClient(o.ca);
    this.webPush = new WebPushSender(this.http);
    this.apns = new ApnsSender(o.ca);
    this.email = new EmailSender(o.smtpUrl);
    this.webhook = new ChannelWebhookSender(this.http);
  }

  async deliver(app: App, kind: string, target: Record<string, unknown>, message: NotifyMessage): Promise<Outcome> {
    const timeoutMs = Math.min(Math.max(1, app.options.webhookTimeoutMs), MAX_TIMEOUT_MS);
    try {
      switch (kind) {
        case 'web_push':
          return await this.webPush.send(app, target as unknown as WebPushTarget, message, timeoutMs);
        case 'apns':
          return await this.apns.send(app, String(target.token), message, timeoutMs);
        case 'email':
          return await this.email.send(app, String(target.email), message, timeoutMs);
        case 'webhook':
          return await this.webhook.send(app, String(target.url), message, timeoutMs);
        default:
          return failed(`unknown target kind ${kind}`, false);
      }
    } catch (err) {
      return failed(`unexpected: ${(err as Error)?.message ?? String(err)}`, true);
    }
  }

  close(): void {
    this.http.close();
    this.apns.close();
    this.email.close();
  }
}
