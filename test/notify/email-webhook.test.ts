// E-mail targets against a real SMTP server (smtp-server) and channel webhooks against an HTTP
// server checking the app-webhook signature; the SDK's target and messaging methods on the way.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { Pushi } from '../../src/sdk/index.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { createApp, drained, until } from './helpers.ts';

interface Mail {
  from: string;
  to: string[];
  headers: Record<string, string>;
  text: string;
}

/** Headers (unfolded, lower-case names) and the body, quoted-printable decoded when so marked. */
function parseMail(raw: string): { headers: Record<string, string>; text: string } {
  const [head, ...rest] = raw.split('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of head!.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  let text = rest.join('\r\n\r\n');
  if (/quoted-printable/i.test(headers['content-transfer-encoding'] ?? '')) {
    text = text
      .replace(/=\r\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
  return { headers, text: text.replace(/\r\n/g, '\n') };
}

describe('e-mail and channel webhook targets', { timeout: 120_000 }, () => {
  let ts: TestServer;
  let smtp: SMTPServer;
  let smtpPort: number;
  let hooks: Server;
  let hookUrl: string;
  const mails: Mail[] = [];
  const posts: Array<{ path: string; headers: Record<string, unknown>; body: string }> = [];
  const hookAnswers: number[] = [];

  before(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const { headers, text } = parseMail(Buffer.concat(chunks).toString('utf8'));
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            headers,
            text,
          });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    hooks = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const status = hookAnswers.shift() ?? 200;
        posts.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}`;
    // The global SMTP server, for apps without their own.
    ts = await startServer({
      env: { SMTP_URL: `smtp://127.0.0.1:${smtpPort}?from=global@pushi.test` },
      notify: { pollMs: 200 },
    });
  });
  after(async () => {
    await ts?.close();
    await new Promise((r) => smtp?.close(() => r(undefined)));
    hooks?.closeAllConnections();
    await new Promise((r) => hooks?.close(r));
  });

  const sdk = (app: { id: string; key: string; secret: string }) =>
    new Pushi({ appId: app.id, appKey: app.key, appSecret: app.secret, port: ts.httpPort });

  test('an e-mail per trigger through the app SMTP server: default subject and body, or the trigger’s', async () => {
    const app = await createApp(ts, { smtpUrl: `smtp://127.0.0.1:${smtpPort}`, emailFrom: 'app@pushi.test' });
    const pushi = sdk(app);
    assert.deepEqual(await pushi.addTarget({ channel: 'alerts', kind: 'email', target: 'ops@example.com' }), {
      channel: 'alerts',
      kind: 'email',
      address: 'ops@example.com',
      created: true,
    });
    await pushi.triggerEvent({ channel: 'alerts', event: 'disk-full', data: { host: 'db1' } });
    const mail = await until(() => mails.find((m) => m.to.includes('ops@example.com')), 'the e-mail');
    assert.equal(mail.from, 'app@pushi.test');
    assert.equal(mail.headers.subject, '[Pushi] disk-full');
    assert.equal(
      mail.text.trim(),
      'Event Notification\n==================\n\nChannel: alerts\nEvent: disk-full\n\nData:\n{"host":"db1"}',
    );

    await pushi.triggerEvent({
      channel: 'alerts',
      event: 'x',
      data: 'd',
      subject: 'Custom subject',
      body: 'Custom body',
    });
    const custom = await until(() => mails.find((m) => m.headers.subject === 'Custom subject'), 'the custom e-mail');
    assert.equal(custom.text.trim(), 'Custom body');
    await drained(ts);
  });

  test('the global SMTP_URL; listing and removing through the SDK', async () => {
    const app = await createApp(ts);
    const pushi = sdk(app);
    await pushi.addTarget({ channel: 'news', kind: 'email', target: 'reader@example.com' });
    await pushi.addTarget({ channel: 'sport', kind: 'email', target: 'reader@example.com' });
    await pushi.triggerEvent({ channels: ['news', 'sport'], event: 'both', data: 'once' });
    await until(() => mails.find((m) => m.to.includes('reader@example.com')), 'the e-mail');
    await drained(ts);
    const mine = mails.filter((m) => m.to.includes('reader@example.com'));
    assert.equal(mine.length, 1, 'one e-mail for a trigger on two channels');
    assert.equal(mine[0]!.from, 'global@pushi.test');
    assert.match(mine[0]!.text, /Channel: news/);

    assert.deepEqual(
      (await pushi.listTargets({ kind: 'email', address: 'reader@example.com' })).map((t) => t.channel),
      ['news', 'sport'],
    );
    assert.equal((await pushi.removeTargets({ channel: 'news' })).removed, 1);
    assert.deepEqual(
      (await pushi.listTargets({ kind: 'email', address: 'reader@example.com' })).map((t) => t.channel),
      ['sport'],
    );
  });

  test('channel webhooks: the message POSTed, signed like app webhooks, retried after failures', async () => {
    const app = await createApp(ts, { persist: true });
    const pushi = sdk(app);
    await pushi.addTarget({ channel: 'orders', kind: 'webhook', target: `${hookUrl}/orders?token=t` });
    hookAnswers.push(500, 502);
    await pushi.triggerEvent({ channel: 'orders', event: 'placed', data: { id: 9 } });
    const ok = await until(
      () => (posts.filter((p) => p.path === '/orders?token=t').length >= 3 ? posts.at(-1) : undefined),
      'the third attempt',
    );
    const payload = pushi.verifyWebhook(ok.headers as Record<string, string>, ok.body) as unknown as Record<
      string,
      unknown
    >;
    assert.equal(payload.channel, 'orders');
    assert.equal(payload.event, 'placed');
    assert.equal(payload.data, '{"id":9}');
    assert.match(String(payload.mid), /.+/, 'stored events carry their id');
    assert.equal(typeof payload.timestamp, 'number');
    await drained(ts);
  });

  test('direct messaging to several kinds at once through the SDK', async () => {
    const app = await createApp(ts);
    const res = await sdk(app).sendMessage({
      data: 'direct',
      subject: 'Direct',
      targets: [
        { kind: 'email', target: 'direct@example.com' },
        { kind: 'webhook', target: `${hookUrl}/direct` },
      ],
    });
    assert.deepEqual(
      res.map((r) => [r.kind, r.success]),
      [
        ['email', true],
        ['webhook', true],
      ],
    );
    assert.equal(mails.find((m) => m.to.includes('direct@example.com'))?.headers.subject, 'Direct');
    assert.equal(JSON.parse(posts.find((p) => p.path === '/direct')!.body).data, 'direct');
  });
});
