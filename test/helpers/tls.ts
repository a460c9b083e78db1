// A throwaway self-signed certificate for TLS tests, plus an HTTPS request that accepts it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Kept importable from here for the TLS tests that name a port.
export { freePort } from './ports.ts';

export interface SelfSigned {
  dir: string;
  keyPath: string;
  certPath: string;
  remove: () => void;
}

/** Generates a key and a one-day certificate for CN=localhost in a temp dir (needs `openssl`). */
export function selfSignedCert(): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'pushi-tls-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-days',
      '1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  );
  return { dir, keyPath, certPath, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An HTTPS request that trusts the self-signed certificate. */
export function httpsRequest(url: string, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, rejectUnauthorized: false, headers: body ? { 'Content-Type': 'application/json' } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
