// E-mail through SMTP (nodemailer): the app's smtpUrl, else the global SMTP_URL. smtp:// upgrades
// with STARTTLS when the server offers it; smtps:// is TLS from the start (port 465 by default).
import type { Transporter } from 'nodemailer';
import type { App } from '../../apps/app.ts';
import { failed, type Outcome, sent } from './outcome.ts';
import { emailContent } from './payload.ts';
import type { NotifyMessage } from './targets.ts';

interface Smtp {
  transport: Transporter;
  from?: string;
}

/** The transport options of an SMTP URL; `from` (or `sender`) in its query is the default sender. */
export function smtpOptions(url: string, timeoutMs: number) {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  const from = u.searchParams.get('from') ?? u.searchParams.get('sender') ?? undefined;
  return {
    from,
    options: {
      host: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : secure ? 465 : 587,
      secure,
      ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    },
  };
}

/** nodemailer, loaded on the first e-mail: deployments that send none do not carry it. */
let mailer: (typeof import('nodemailer'))['default'] | undefined;

export class EmailSender {
  private readonly transports = new Map<string, Smtp>();

  constructor(private readonly globalUrl?: string) {}

  async send(app: App, to: string, message: NotifyMessage, timeoutMs: number): Promise<Outcome> {
    const url = app.options.smtpUrl || this.globalUrl;
    if (!url) return failed('no SMTP server: set the app option smtpUrl or SMTP_URL', false);
    let smtp: Smtp;
    mailer ??= (await import('nodemailer')).default;
    try {
      smtp = this.transport(url, timeoutMs);
    } catch (err) {
      return failed(`bad SMTP URL: ${(err as Error).message}`, false);
    }
    const { subject, text, html } = emailContent(message);
    try {
      await smtp.transport.sendMail({
        from: app.options.emailFrom || smtp.from || 'pushi@localhost',
        to,
        subject,
        text,
        ...(html ? { html } : {}),
      });
      return sent();
    } catch (err) {
      const e = err as { responseCode?: number; code?: string; message?: string };
      const code = e.responseCode;
      // 5xx is the server's final word (unknown mailbox, refused sender); 4xx and lost connections may pass later.
      return failed(`SMTP: ${e.message ?? String(err)}`, !(code && code >= 500), code ? { status: code } : {});
    }
  }

  private transport(url: string, timeoutMs: number): Smtp {
    let smtp = this.transports.get(url);
    if (!smtp) {
      const { from, options } = smtpOptions(url, timeoutMs);
      smtp = { transport: mailer!.createTransport({ ...options, pool: true, maxConnections: 2 }), from };
      if (this.transports.size > 100) this.close(); // apps with many different servers: bounded
      this.transports.set(url, smtp);
    }
    return smtp;
  }

  close(): void {
    for (const s of this.transports.values()) s.transport.close();
    this.transports.clear();
  }
}
