// A Web Push service stand-in for tests: an HTTP(S) server that checks the VAPID JWT (ES256 over
// the key in the Authorization header) and decrypts the RFC 8291 aes128gcm body with the
// subscription's private key and auth secret, using node:crypto only.
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify, type ECDH } from 'node:crypto';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A browser's side of a subscription: the keys it hands out and the private key it keeps. */
export interface BrowserKeys {
  p256dh: string;
  auth: string;
  ecdh: ECDH;
  authSecret: Buffer;
}

export function browserKeys(): BrowserKeys {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return {
    p256dh: ecdh.getPublicKey().toString('base64url'),
    auth: authSecret.toString('base64url'),
    ecdh,
    authSecret,
  };
}

/** RFC 8291 + RFC 8188 (one record): the plaintext of an aes128gcm push body. */
export function decryptAes128gcm(body: Buffer, keys: BrowserKeys): string {
  const salt = body.subarray(0, 16);
  const rs = body.readUInt32BE(16);
  const idlen = body[20]!;
  const senderPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  if (ciphertext.length > rs) throw new Error('more than one record');
  const shared = keys.ecdh.computeSecret(senderPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), keys.ecdh.getPublicKey(), senderPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, keys.authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('missing last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/** A P-256 public key from its raw uncompressed point (base64url), for verify(). */
export function rawP256(publicKey: string) {
  const raw = Buffer.from(publicKey, 'base64url');
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: raw.subarray(1, 33).toString('base64url'),
      y: raw.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}

/** Checks an ES256 JWT against a key; returns its claims or throws. */
export function verifyJwt(jwt: string, key: ReturnType<typeof createPublicKey>): Record<string, unknown> {
  const [h, p, s] = jwt.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { alg?: string };
  if (header.alg !== 'ES256') throw new Error(`alg ${header.alg}`);
  if (!verify('sha256', Buffer.from(`${h}.${p}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(s!, 'base64url')))
    throw new Error('bad JWT signature');
  return JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
}

export interface PushReceived {
  path: string;
  /** The decrypted payload. */
  payload: string;
  ttl: string | undefined;
  claims: Record<string, unknown>;
  vapidKey: string;
}

export interface PushService {
  url: string;
  /** The endpoint of one subscription (by name) on this service. */
  endpoint(name: string): string;
  received: PushReceived[];
  /** Status answered to the next requests for a subscription (then 201). */
  answer(name: string, ...statuses: number[]): void;
  /** Every request, answered or refused (path and status). */
  log: Array<{ path: string; status: number }>;
  waitFor(n: number, timeoutMs?: number): Promise<PushReceived[]>;
  close(): Promise<void>;
}

export async function startPushService(
  keysByName: Record<string, BrowserKeys>,
  tls?: { key: Buffer; cert: Buffer },
): Promise<PushService> {
  const received: PushReceived[] = [];
  const log: Array<{ path: string; status: number }> = [];
  const queued = new Map<string, number[]>();
  const waiters: Array<() => void> = [];
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const name = path.replace(/^\/push\//, '');
      const reply = (status: number, text = '') => {
        log.push({ path, status });
        res.writeHead(status).end(text);
        waiters.splice(0).forEach((w) => w());
      };
      const forced = queued.get(name)?.shift();
      if (forced !== undefined) return reply(forced, `forced ${forced}`);
      const keys = keysByName[name];
      if (!keys) return reply(404, 'no such subscription');
      try {
        const m = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(req.headers.authorization ?? '');
        if (!m) throw new Error(`Authorization is not VAPID: ${req.headers.authorization}`);
        const claims = verifyJwt(m[1]!, rawP256(m[2]!));
        const origin = `${tls ? 'https' : 'http'}://${req.headers.host}`;
        if (claims.aud !== origin) throw new Error(`aud ${String(claims.aud)} is not ${origin}`);
        if (
          typeof claims.exp !== 'number' ||
          claims.exp * 1000 < Date.now() ||
          claims.exp * 1000 > Date.now() + 24 * 3600_000
        )
          throw new Error('bad exp');
        if (req.headers['content-encoding'] !== 'aes128gcm')
          throw new Error(`content-encoding ${req.headers['content-encoding']}`);
        const payload = decryptAes128gcm(Buffer.concat(chunks), keys);
        received.push({ path, payload, ttl: req.headers.ttl as string | undefined, claims, vapidKey: m[2]! });
        reply(201);
      } catch (err) {
        reply(400, (err as Error).message);
      }
    });
  };
  const server: Server = tls ? createHttps(tls, handle) : createHttp(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const url = `${tls ? 'https://localhost' : 'http://127.0.0.1'}:${port}`;
  return {
    url,
    endpoint: (name) => `${url}/push/${name}`,
    received,
    log,
    answer: (name, ...statuses) => queued.set(name, [...(queued.get(name) ?? []), ...statuses]),
    async waitFor(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (received.length < n) {
        if (Date.now() > deadline)
          throw new Error(`waited for ${n} pushes, got ${received.length}: ${JSON.stringify(log)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200).unref();
        });
      }
      return received;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
