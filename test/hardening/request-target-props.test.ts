// The request-target split (src/transport/request-target.ts) and the signed-query split
// (src/api/verify.ts) take shortcuts past the WHATWG URL parser: they must agree with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRequestTarget, queryParam, searchParams } from '../../src/transport/request-target.ts';
import { verifySignedRequest } from '../../src/api/verify.ts';
import { HttpError } from '../../src/protocol/errors.ts';
import { signRequest } from '../../src/protocol/signatures.ts';
import { resolveOptions, type App } from '../../src/apps/app.ts';
import { SEED } from './arbitraries.ts';

const RUNS = { seed: SEED, numRuns: 3000 };
const PIECES = [
  '/',
  '.',
  '..',
  '%',
  '%2e',
  '%2E',
  '?',
  '#',
  '&',
  '=',
  '+',
  ' ',
  'é',
  '\\',
  '"',
  'a',
  'apps',
  'events',
  '~',
  '@',
  ':',
  ';',
];
const target = fc
  .array(fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 3 })), { maxLength: 14 })
  .map((parts) => `/${parts.join('')}`);

test('a request target splits into the path and query the URL parser gives', () => {
  fc.assert(
    fc.property(target, (raw) => {
      let url: URL | undefined;
      try {
        url = new URL(raw, 'http://localhost');
      } catch {
        url = undefined;
      }
      const got = parseRequestTarget(raw);
      if (!url) return assert.equal(got, undefined);
      assert.ok(got, raw);
      assert.equal(got.path, url.pathname, raw);
      assert.deepEqual([...searchParams(got.search)], [...url.searchParams], raw);
    }),
    RUNS,
  );
});

test('one query parameter read from the raw string is what URLSearchParams.get gives', () => {
  const names = ['protocol', 'client', 'p', ''];
  const query = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'protocol=7',
          'protocol',
          'protocol=',
          'protocol=%37',
          'protocol=6+1',
          'p=1',
          '&',
          '=',
          'client=js',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 10 },
    )
    .map((p) => p.join(''));
  fc.assert(
    fc.property(query, fc.constantFrom(...names), (q, name) =>
      assert.equal(queryParam(q, name), searchParams(q).get(name), `${q} ${name}`),
    ),
    RUNS,
  );
});

const escapeAlnum = (q: string) => q.replace(/[A-Za-z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

test('signed-query parameters read from the raw string match URLSearchParams', () => {
  const app: App = { id: 'a', key: 'k', secret: 's', name: 'a', enabled: true, options: resolveOptions({}) };
  const outcome = (query: string) => {
    try {
      verifySignedRequest(app, { method: 'GET', path: '/apps/a/channels', query, body: Buffer.alloc(0) }, 600, 0);
      return 'accepted';
    } catch (err) {
      assert.ok(err instanceof HttpError);
      return err.message; // names the first problem found, so the parameters read must agree
    }
  };
  const query = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          'auth_key=k',
          'auth_timestamp=0',
          'auth_signature=x',
          '&',
          '=',
          'a',
          '__proto__=1',
          'auth_version=2',
        ),
        fc.string({ maxLength: 4 }),
      ),
      { maxLength: 10 },
    )
    .map((p) => p.join(''));
  fc.assert(
    // The same parameters with every letter and digit %-escaped: decoded through URLSearchParams.
    fc.property(query, (q) => assert.equal(outcome(q), outcome(escapeAlnum(q)), q)),
    RUNS,
  );
});

test('a raw query in the order the SDKs send it verifies like any other order', () => {
  const app: App = { id: 'a', key: 'k', secret: 's', name: 'a', enabled: true, options: resolveOptions({}) };
  const plain = fc.stringMatching(/^[A-Za-z0-9_.~-]{0,6}$/);
  const request = fc.record({
    extra: fc
      .dictionary(
        fc.stringMatching(/^[A-Za-z_]{1,5}$/).filter((k) => !k.toLowerCase().startsWith('auth_')),
        plain,
        { maxKeys: 4 },
      )
      // keys equal but for case sort in an order only the sender knows (as with the SDKs)
      .filter((d) => new Set(Object.keys(d).map((k) => k.toLowerCase())).size === Object.keys(d).length),
    sorted: fc.boolean(),
    signatureFirst: fc.boolean(),
  });
  fc.assert(
    fc.property(request, ({ extra, sorted, signatureFirst }) => {
      const params: Record<string, string> = { ...extra, auth_key: 'k', auth_timestamp: '0', auth_version: '1.0' };
      const signature = signRequest('s', 'GET', '/apps/a/channels', params);
      let pairs = Object.entries(params).map(([k, v]) => `${k}=${v}`);
      if (sorted) pairs = pairs.sort();
      pairs = signatureFirst ? [`auth_signature=${signature}`, ...pairs] : [...pairs, `auth_signature=${signature}`];
      const verify = (query: string) =>
        verifySignedRequest(app, { method: 'GET', path: '/apps/a/channels', query, body: Buffer.alloc(0) }, 600, 0);
      verify(pairs.join('&'));
      assert.throws(
        () =>
          verify(
            pairs.join('&').replace(
              signature,
              signature.replace(/^./, (c) => (c === '0' ? '1' : '0')),
            ),
          ),
        HttpError,
      );
      assert.throws(() => verify(`${pairs.join('&')}&zz=1`), HttpError);
    }),
    RUNS,
  );
});
