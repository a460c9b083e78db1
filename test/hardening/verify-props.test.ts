// Property tests of signed HTTP request verification (src/api/verify.ts): a valid request passes;
// any mutation of it either fails with 401 or leaves everything the route handler reads unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verifySignedRequest, type SignedRequest } from '../../src/api/verify.ts';
import { HttpError } from '../../src/protocol/errors.ts';
import { md5Hex, signRequest } from '../../src/protocol/signatures.ts';
import { resolveOptions, type App } from '../../src/apps/app.ts';
import { mutateBytes, mutateString, SEED } from './arbitraries.ts';

const RUNS = { seed: SEED, numRuns: 1500 };
const NOW = 1_700_000_000_000;
const WINDOW = 600;
const app = (id: string, key: string, secret: string): App => ({
  id,
  key,
  secret,
  name: id,
  enabled: true,
  options: resolveOptions({}),
});
const A = app('app-a', 'key-a', 'secret-a');

interface Built {
  method: string;
  path: string;
  /** The query string as sent (auth_* included). */
  query: string;
  body: Buffer;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const paramKey = fc
  .string({ minLength: 1, maxLength: 12 })
  .filter((k) => !k.toLowerCase().startsWith('auth_') && k.toLowerCase() !== 'body_md5');
const request = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.oneof(
    fc.constantFrom(
      '/apps/app-a/events',
      '/apps/app-a/batch_events',
      '/apps/app-a/channels',
      '/apps/app-a/channels/presence-x/users',
    ),
    fc.webPath().map((p) => `/apps/app-a${p.startsWith('/') ? p : `/${p}`}`),
  ),
  params: fc.dictionary(paramKey, fc.string({ maxLength: 20 }), { maxKeys: 4 }),
  body: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.json().map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  ),
});

/** Signs like the Pusher SDKs: every param but auth_signature, plus body_md5 when there is a body. */
function sign(
  r: { method: string; path: string; params: Record<string, string>; body: Buffer },
  o: { secret?: string; key?: string; ts?: number; tsText?: string; version?: string } = {},
): Built {
  const params: Record<string, string> = {
    ...r.params,
    auth_key: o.key ?? A.key,
    auth_timestamp: o.tsText ?? String(o.ts ?? NOW / 1000),
    auth_version: o.version ?? '1.0',
  };
  if (r.body.length) params.body_md5 = md5Hex(r.body);
  params.auth_signature = signRequest(o.secret ?? A.secret, r.method, r.path, params);
  return { method: r.method, path: r.path, query: new URLSearchParams(params).toString(), body: r.body };
}

const toSigned = (b: Built): SignedRequest => ({ method: b.method, path: b.path, query: b.query, body: b.body });

/** undefined when accepted; the status otherwise. Anything but an HttpError fails the test. */
function outcome(b: Built, target = A): number | undefined {
  try {
    verifySignedRequest(target, toSigned(b), WINDOW, NOW);
    return undefined;
  } catch (err) {
    assert.ok(err instanceof HttpError, `threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    return err.status;
  }
}

/** What a route handler can observe: method, path, body and the first value of every key. */
function sameForHandler(a: Built, b: Built): boolean {
  if (a.method !== b.method || a.path !== b.path || !a.body.equals(b.body)) return false;
  const qa = new URLSearchParams(a.query);
  const qb = new URLSearchParams(b.query);
  const keys = new Set([...qa.keys(), ...qb.keys()]);
  for (const k of keys) if (k !== 'auth_signature' && qa.get(k) !== qb.get(k)) return false;
  return true;
}

test('a request signed as the SDKs sign it is accepted', () => {
  fc.assert(
    fc.property(request, (r) => assert.equal(outcome(sign(r)), undefined)),
    RUNS,
  );
});

test('targeted mutations are refused with 401', () => {
  fc.assert(
    fc.property(request, fc.nat(), paramKey, fc.string({ maxLength: 10 }), (r, pick, extraKey, extraValue) => {
      const good = sign(r);
      const q = () => new URLSearchParams(good.query);
      const withQuery = (edit: (p: URLSearchParams) => void): Built => {
        const p = q();
        edit(p);
        return { ...good, query: p.toString() };
      };
      const others = METHODS.filter((m) => m !== r.method);
      const mutants: [string, Built][] = [
        ['other method', { ...good, method: others[pick % others.length] }],
        ['other path', { ...good, path: `${good.path}x` }],
        [
          'signature changed',
          withQuery((p) =>
            p.set(
              'auth_signature',
              p.get('auth_signature')!.replace(/^./, (c) => (c === '0' ? '1' : '0')),
            ),
          ),
        ],
        ['signature missing', withQuery((p) => p.delete('auth_signature'))],
        ['timestamp missing', withQuery((p) => p.delete('auth_timestamp'))],
        ['param added', withQuery((p) => !p.has(extraKey) && p.append(extraKey, extraValue))],
        ['stale timestamp, correctly signed', sign(r, { ts: NOW / 1000 - WINDOW - 1 })],
        ['future timestamp, correctly signed', sign(r, { ts: NOW / 1000 + WINDOW + 1 })],
        // The right instant spelled other than in decimal digits (Number() would take each of them).
        ['hexadecimal timestamp, correctly signed', sign(r, { tsText: `0x${(NOW / 1000).toString(16)}` })],
        ['exponent timestamp, correctly signed', sign(r, { tsText: `${NOW / 1e10}e1` })],
        ['padded timestamp, correctly signed', sign(r, { tsText: ` ${NOW / 1000}` })],
        ['fractional timestamp, correctly signed', sign(r, { tsText: `${NOW / 1000}.0` })],
        ['other secret', sign(r, { secret: 'secret-b' })],
        ['other app key, signed with this secret', sign(r, { key: 'key-b' })],
        ['auth_version 2.0', sign(r, { version: '2.0' })],
        ['body appended', { ...good, body: Buffer.concat([good.body, Buffer.from('x')]) }],
        // the handler reads the first value of a key: a duplicate must not slip in ahead of the signed one
        [
          'duplicate param ahead of the signed one',
          { ...good, query: `${encodeURIComponent(extraKey)}=evil&${good.query}` },
        ],
        ['duplicate auth_key ahead', { ...good, query: `auth_key=other&${good.query}` }],
      ];
      const keys = Object.keys(r.params);
      if (keys.length) {
        const k = keys[pick % keys.length];
        mutants.push(['param removed', withQuery((p) => p.delete(k))]);
        mutants.push(['param value changed', withQuery((p) => p.set(k, `${p.get(k)}!`))]);
      }
      if (good.body.length)
        mutants.push([
          'body byte flipped',
          { ...good, body: Buffer.from(good.body.map((b, i) => (i === pick % good.body.length ? b ^ 1 : b))) },
        ]);
      for (const [what, m] of mutants) {
        if (sameForHandler(good, m) && what.startsWith('param added')) continue; // key already there
        assert.equal(outcome(m), 401, `${what}: ${m.method} ${m.path}?${m.query}`);
      }
    }),
    RUNS,
  );
});

test('random mutations: accepted only when the handler would see exactly what was signed', () => {
  const mutated = request.chain((r) => {
    const good = sign(r);
    return fc.record({
      good: fc.constant(good),
      method: fc.oneof(fc.constant(good.method), fc.constantFrom(...METHODS)),
      path: fc.oneof(fc.constant(good.path), mutateString(good.path)),
      query: fc.oneof(fc.constant(good.query), mutateString(good.query)),
      body: fc.oneof(fc.constant(good.body), mutateBytes(good.body)),
    });
  });
  fc.assert(
    fc.property(mutated, ({ good, ...m }) => {
      const status = outcome(m);
      if (status === undefined)
        assert.ok(sameForHandler(good, m), `accepted a changed request: ${m.method} ${m.path}?${m.query}`);
      else assert.equal(status, 401);
    }),
    RUNS,
  );
});

test("one app's signature never verifies for another app", () => {
  const B = app('app-b', 'key-b', 'secret-b');
  fc.assert(
    fc.property(request, (r) => {
      assert.equal(outcome(sign(r), B), 401);
      assert.equal(outcome(sign(r, { key: B.key }), B), 401, "B's key, A's secret");
    }),
    RUNS,
  );
});
