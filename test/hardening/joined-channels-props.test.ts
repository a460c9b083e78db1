// JoinedChannels (src/hub/joined-channels.ts) keeps a connection's first channel outside a Map: it
// must answer and iterate exactly as the Map it replaces, whatever the order of joins and leaves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JoinedChannels } from '../../src/hub/joined-channels.ts';
import { PLAIN_SUBSCRIPTION, type Subscription } from '../../src/hub/connection.ts';
import { SEED } from './arbitraries.ts';

const NAMES = ['a', 'b', 'c', 'presence-d'];
const op = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    name: fc.constantFrom(...NAMES),
    userId: fc.option(fc.constantFrom('u1', 'u2'), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('delete' as const), name: fc.constantFrom(...NAMES, 'absent') }),
);

test('JoinedChannels behaves as a Map under any sequence of joins and leaves', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const joined = new JoinedChannels();
      const model = new Map<string, Subscription>();
      for (const o of ops) {
        if (o.kind === 'set') {
          const sub = o.userId === undefined ? PLAIN_SUBSCRIPTION : { userId: o.userId };
          joined.set(o.name, sub);
          model.set(o.name, sub);
        } else assert.equal(joined.delete(o.name), model.delete(o.name));
        assert.equal(joined.size, model.size);
        for (const name of [...NAMES, 'absent']) {
          assert.equal(joined.has(name), model.has(name), `has(${name})`);
          assert.equal(joined.get(name), model.get(name), `get(${name})`);
        }
        assert.deepEqual([...joined], [...model], 'entries in insertion order');
        assert.deepEqual([...joined.keys()], [...model.keys()]);
      }
    }),
    { seed: SEED, numRuns: 2000 },
  );
});
