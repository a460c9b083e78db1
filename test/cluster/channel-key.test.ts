// The Map key the cluster adapters keep per app channel splits back into exactly its two parts,
// whatever separators a channel name may hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { channelKey, splitChannelKey } from '../../src/cluster/channel-key.ts';

test('a channel key splits back into its app id and channel name', () => {
  for (const [appId, channel] of [
    ['app-1', 'presence-room'],
    ['a.b_c', 'private-encrypted-x=@,.;&:y'],
    ['1', '#server-to-user-42'],
  ] as const) {
    assert.deepEqual(splitChannelKey(channelKey(appId, channel)), [appId, channel]);
  }
  assert.notEqual(channelKey('a', 'bc'), channelKey('ab', 'c'), 'different pairs, different keys');
});
