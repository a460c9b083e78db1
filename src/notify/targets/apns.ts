// Apple Push Notification service over HTTP/2 with token (JWT, ES256 .p8 key) authentication.
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { createPrivateKey, sign } from 'node:crypto';
import type { App } from '../../apps/app.ts';
import { failed, type Outcome, sent } from './outcome.ts';
import { apnsPayload } from './payload.ts';
import type { NotifyMessage } from './targets.ts';

export const APNS_PRODUCTION = 'https://api.push.apple.com';
export const APNS_SANDBOX = 'https://api.sandbox.push.apple.com';
/** Apple wants a token refreshed at most every 20 minutes and accepts it for an hour. */
const TOKEN_TTL_MS = 40 * 60_000;
const MAX_PAYLOAD = 4096;

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** The provider token: ES256 JWT {alg, kid} {iss: team, iat}. */
export function apnsJwt(keyPem: string, keyId: string, teamId: string, nowMs = Date.now()): string {
  const input = `${b64url({ alg: 'ES256', kid: keyId })}.${b64url({ iss: teamId, iat: Math.floor(nowMs / 1000) })}`;
  const signature = sign('sha256', Buffer.from(input), { key: createPrivateKey(keyPem), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

export class ApnsSender {
  private readonly sessions = new Map<string, ClientHttp2Session>();
  private readonly tokens = new Map<string, { id: string; jwt: string; at: number }>();

  /** `ca`: extra trusted certificates (tests with a self-signed APNs stand-in). */
  constructor(private readonly ca?: string | Buffer) {}

  async send(app: App, token: string, message: NotifyMessage, timeoutMs: number): Promise<Outcome> {
    const o = app.options;
    if (!o.apnsKey || !o.apnsKeyId || !o.apnsTeamId || !o.apnsTopic) {
      return failed('APNs is not configured for the app (apnsKey, apnsKeyId, apnsTeamId, apnsTopic)', false);
    }
    const body = JSON.stringify(apnsPayload(message));
    if (Buffer.byteLength(body) > MAX_PAYLOAD) return failed(`APNs payload over ${MAX_PAYLOAD} bytes`, false);
    let jwt: string;
    try {
      jwt = this.jwt(app);
    } catch (err) {
      return failed(`apnsKey unusable: ${(err as Error).message}`, false);
    }
    const base = (o.apnsUrl || (o.apnsSandbox ? APNS_SANDBOX : APNS_PRODUCTION)).replace(/\/+$/, '');
    let answer: { status: number; reason?: string; retryAfter?: number };
    try {
      answer = await this.post(base, token, jwt, o.apnsTopic, body, timeoutMs);
    } catch (err) {
      return failed(`APNs unreachable: ${(err as Error).message}`, true);
    }
    const { status, reason } = answer;
    if (status === 200) return sent(200);
    const why = `APNs answered ${status}${reason ? ` ${reason}` : ''}`;
    if (status === 410 || reason === 'Unregistered') return failed(why, false, { gone: true, status });
    if (reason === 'ExpiredProviderToken' || reason === 'InvalidProviderToken') {
      this.tokens.delete(app.id);
      return failed(why, reason === 'ExpiredProviderToken', { status });
    }
    if (status === 429 || status >= 500) return failed(why, true, { status, retryAfterMs: answer.retryAfter });
    return failed(why, false, { status }); // BadDeviceToken, DeviceTokenNotForTopic, PayloadTooLarge…
  }

  private jwt(app: App): string {
    const o = app.options;
    const now = Date.now();
    const id = `${o.apnsKeyId}/${o.apnsTeamId}/${o.apnsKey}`; // a changed key or id makes a new token
    const cached = this.tokens.get(app.id);
    if (cached && cached.id === id && now - cached.at < TOKEN_TTL_MS) return cached.jwt;
    const jwt = apnsJwt(o.apnsKey, o.apnsKeyId, o.apnsTeamId, now);
    this.tokens.set(app.id, { id, jwt, at: now });
    return jwt;
  }

  /** One HTTP/2 session per APNs host, reused; a broken one is dropped and made again. */
  private session(base: string): ClientHttp2Session {
    let s = this.sessions.get(base);
    if (s && !s.closed && !s.destroyed) return s;
    s = connect(base, this.ca ? { ca: this.ca } : {});
    const session = s;
    const drop = () => {
      if (this.sessions.get(base) === session) this.sessions.delete(base);
    };
    session.on('error', drop);
    session.on('goaway', drop);
    session.on('close', drop);
    session.setTimeout(5 * 60_000, () => session.close()); // idle
    session.unref();
    this.sessions.set(base, session);
    return session;
  }

  private post(
    base: string,
    token: string,
    jwt: string,
    topic: string,
    body: string,
    timeoutMs: number,
  ): Promise<{ status: number; reason?: string; retryAfter?: number }> {
    return new Promise((resolve, reject) => {
      const session = this.session(base);
      const req = session.request({
        ':method': 'POST',
        ':path': `/3/device/${token}`,
        authorization: `bearer ${jwt}`,
        'apns-topic': topic,
        'apns-push-type': 'alert',
        'apns-priority': '10',
        'content-type': 'application/json',
      });
      const timer = setTimeout(() => req.close(constants.NGHTTP2_CANCEL), timeoutMs);
      let status = 0;
      let retryAfter: number | undefined;
      const chunks: Buffer[] = [];
      req.on('response', (h) => {
        status = Number(h[':status']);
        const ra = h['retry-after'];
        if (typeof ra === 'string' && /^\d+$/.test(ra)) retryAfter = Number(ra) * 1000;
      });
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        clearTimeout(timer);
        let reason: string | undefined;
        try {
          reason = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { reason?: string }).reason;
        } catch {
          reason = undefined;
        }
        resolve({ status, reason, retryAfter });
      });
      req.on('close', () => {
        clearTimeout(timer);
        if (!status)
          reject(
            new Error(req.rstCode === constants.NGHTTP2_CANCEL ? `no answer within ${timeoutMs} ms` : 'stream closed'),
          );
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end(body);
    });
  }

  close(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.sessions.clear();
  }
}
