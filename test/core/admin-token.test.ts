// The one admin-token check (src/api/admin-token.ts) used by the HTTP API and the console.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { bearerMatches, requireAdminToken } from '../../src/api/admin-token.ts';
import { HttpError } from '../../src/protocol/errors.ts';

const TOKEN = 'a-long-admin-token-0123456789';
const req = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

test('only "Bearer <the token>" matches', () => {
  assert.equal(bearerMatches(req(`Bearer ${TOKEN}`), TOKEN), true);
  for (const header of [
    undefined,
    '',
    'Bearer ',
    TOKEN,
    `bearer ${TOKEN}`,
    `Basic ${TOKEN}`,
    `Bearer ${TOKEN}x`,
    `Bearer ${TOKEN.slice(0, -1)}`,
    `Bearer  ${TOKEN}`,
  ])
    assert.equal(bearerMatches(req(header), TOKEN), false, String(header));
});

test('no token configured: the caller says what that means; a wrong one is 401', () => {
  const off = { status: 404, message: 'off here' };
  const status = (fn: () => void) => {
    try {
      fn();
      return 200;
    } catch (err) {
      assert.ok(err instanceof HttpError);
      return err.status;
    }
  };
  assert.equal(
    status(() => requireAdminToken(req(`Bearer ${TOKEN}`), undefined, off)),
    404,
  );
  assert.throws(() => requireAdminToken(req(`Bearer ${TOKEN}`), '', off), /off here/);
  assert.equal(
    status(() => requireAdminToken(req('Bearer nope'), TOKEN, off)),
    401,
  );
  assert.equal(
    status(() => requireAdminToken(req(`Bearer ${TOKEN}`), TOKEN, off)),
    200,
  );
});
