// App options and credentials as a person writes them: misspelt names answered with the nearest
// valid one, numbers held to their ranges, brought credentials held to what URLs and signatures need.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkAppOptions } from '../../src/apps/check-options.ts';
import { credentialError } from '../../src/apps/credentials.ts';
import { editDistance, nearestName } from '../../src/apps/nearest-name.ts';
import { resolveOptions } from '../../src/apps/app.ts';

test('edit distance counts a swap of neighbours as one edit', () => {
  assert.equal(editDistance('maxConections', 'maxConnections'), 1);
  assert.equal(editDistance('clinetEvents', 'clientEvents'), 1);
  assert.equal(editDistance('abc', 'abc'), 0);
  assert.equal(editDistance('', 'abc'), 3);
});

test('the nearest name ignores case and gives up on names nothing like any', () => {
  const names = ['clientEvents', 'maxConnections', 'persist'];
  assert.equal(nearestName('ClientEvent', names), 'clientEvents');
  assert.equal(nearestName('persits', names), 'persist');
  assert.equal(nearestName('colour', names), undefined);
  // A huge name is neither compared (length × length work) nor echoed whole.
  const started = performance.now();
  assert.throws(
    () => checkAppOptions({ ['x'.repeat(1_000_000)]: 1 }),
    (err: Error) => err.message.length < 1000,
  );
  assert.ok(performance.now() - started < 1000, 'answered at once');
});

test('unknown keys, wrong types and out-of-range numbers are refused, naming the option', () => {
  const refused: [unknown, RegExp][] = [
    [{ clientEvent: true }, /unknown app option "clientEvent" \(did you mean "clientEvents"\?\)/],
    [{ zzzzzzzz: 1 }, /unknown app option "zzzzzzzz" \(known: clientEvents, /],
    [{ clientEvents: 'yes' }, /clientEvents must be a boolean/],
    [{ maxConnections: 1.5 }, /maxConnections must be a whole number 0 or more, got 1.5/],
    [{ historyCount: 101 }, /historyCount must be a whole number from 0 to 100/],
    [{ webhookTimeoutMs: 0 }, /webhookTimeoutMs must be a whole number from 1 to 60000/],
    [{ webhooks: [{ url: 'http://h/', events: [], channel_prefix: 'x' }] }, /"channel_prefix".*"channelPrefix"/],
    [[], /app options must be an object/],
  ];
  for (const [options, pattern] of refused) assert.throws(() => checkAppOptions(options), pattern);
  assert.deepEqual(checkAppOptions({ maxConnections: 0, clientEvents: true }), {
    maxConnections: 0,
    clientEvents: true,
  });
});

test('stored options from before the checks still load: unknown keys are ignored there', () => {
  assert.equal(resolveOptions({ clientEvent: true, maxConnections: 3 }).maxConnections, 3);
});

test('credentials: URL-safe ids and keys, secrets of at least 8 visible characters', () => {
  assert.equal(credentialError('id', '123456'), undefined);
  assert.equal(credentialError('key', 'app-key.v2_x'), undefined);
  assert.equal(credentialError('secret', 'p@ss:w0rd!'), undefined);
  assert.match(credentialError('id', 'a/b')!, /"id" may hold only/);
  assert.match(credentialError('key', '')!, /"key" must be 1 to 64 characters long, got 0/);
  assert.match(credentialError('secret', 'with space')!, /visible ASCII/);
  assert.match(credentialError('secret', 'x'.repeat(257))!, /8 to 256/);
});
