// `pushi apps import` formats, read without a store: soketi's config in its spellings, Pusher-style
// lists, Pushi's apps file; what cannot be carried over is reported or refused by name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appsToImport } from '../../src/cli/import-formats.ts';

const creds = { id: 'a', key: 'k', secret: 'secret-1' };

test('soketi: nested or dotted appManager keys, camelCase, PascalCase and snake_case names', () => {
  const apps = [
    {
      ...creds,
      EnableClientMessages: true,
      max_client_events_per_sec: '20',
      maxPresenceMemberSizeInKb: 2,
      max_event_batch_size: 5,
      enable_user_authentication: 'true',
      enabled: false,
    },
  ];
  for (const file of [{ appManager: { array: { apps } } }, { 'appManager.array.apps': apps }]) {
    const { format, apps: out } = appsToImport(file);
    assert.equal(format, 'soketi');
    assert.deepEqual(out[0]!.input, {
      ...creds,
      enabled: false,
      options: {
        clientEvents: true,
        maxClientEventsPerSecond: 20,
        maxPresenceUserInfoBytes: 2048,
        maxBatchEvents: 5,
        userAuthentication: true,
      },
    });
  }
});

test('soketi settings without a Pushi equivalent are reported; unknown ones and Lambda hooks refused', () => {
  const { apps } = appsToImport([
    {
      ...creds,
      maxReadRequestsPerSecond: 5,
      maxClientEventsPerSecond: -1,
      webhooks: [{ url: 'http://h/', event_types: ['member_added'], headers: { a: 'b' } }],
    },
  ]);
  assert.deepEqual(apps[0]!.input.options, { webhooks: [{ url: 'http://h/', events: ['member_added'] }] });
  assert.equal(apps[0]!.skipped.length, 3);
  assert.match(apps[0]!.skipped.join('\n'), /maxReadRequestsPerSecond: Pushi limits all signed API requests/);
  assert.match(apps[0]!.skipped.join('\n'), /maxClientEventsPerSecond: -1 \(unlimited\) has no equivalent/);
  assert.match(apps[0]!.skipped.join('\n'), /webhooks\[0\]\.headers/);
  assert.throws(
    () => appsToImport([{ ...creds, maxConnection: 3 }]),
    /app #1: .*"maxConnection" \(did you mean "maxConnections"\?\)/,
  );
  assert.throws(
    () => appsToImport([{ ...creds, webhooks: [{ lambda_function: 'f', event_types: [] }] }]),
    /AWS Lambda webhooks cannot be imported/,
  );
});

test('Pusher-style lists and Pushi apps files; credentials must all be there', () => {
  const pusher = appsToImport([{ app_id: '123', key: 'k', secret: 'secret-1', cluster: 'eu', name: 'shop' }]);
  assert.deepEqual(pusher.apps[0]!.input, { id: '123', key: 'k', secret: 'secret-1', name: 'shop' });
  assert.match(pusher.apps[0]!.skipped[0]!, /cluster: Pushi has no clusters/);
  const pushi = appsToImport({ apps: [{ ...creds, options: { persist: true } }] });
  assert.equal(pushi.format, 'pushi');
  assert.deepEqual(pushi.apps[0]!.input, { ...creds, options: { persist: true } });
  assert.throws(() => appsToImport([{ app_id: '1', key: 'k' }]), /app #1 has no "secret"/);
  assert.throws(() => appsToImport({ something: [] }), /the file holds no apps: expected/);
  assert.throws(() => appsToImport([42]), /app #1 must be an object/);
});
