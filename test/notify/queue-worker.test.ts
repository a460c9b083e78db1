// QueueWorker polls the store for rows nobody poked it about (other nodes', leases that ran out).
// An idle queue is polled less and less often, down to idlePollMs; rows found bring it back.
// Mocked timers and clock: the test steps time itself, so it asserts intervals without waiting.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { QueueWorker } from '../../src/notify/queue-worker.ts';

interface Row {
  id: number;
  appId: string;
}

/** A worker over an in-memory queue; `claims` records the (mocked) time of every poll. */
function setUp(t: TestContext) {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const queue: Row[] = [];
  const claims: number[] = [];
  const attempted: number[] = [];
  const worker = new QueueWorker<Row>({
    name: 'test',
    logger: pino({ level: 'silent' }),
    pollMs: 1000,
    idlePollMs: 8000,
    queue: {
      claim: async (now, _leaseMs, limit) => {
        claims.push(now);
        return queue.splice(0, limit);
      },
      reschedule: async () => {},
    },
    attempt: async (row) => {
      attempted.push(row.id);
    },
  });
  const settle = async () => {
    for (let j = 0; j < 10; j++) await Promise.resolve();
  };
  /** Runs what is due now, then moves the clock on, letting each claim (a promise) settle in turn. */
  const advance = async (ms: number) => {
    t.mock.timers.tick(0);
    await settle();
    for (let i = 0; i < ms / 250; i++) {
      t.mock.timers.tick(250);
      await settle();
    }
  };
  return { queue, claims, attempted, worker, advance };
}

test('an empty queue is polled at doubling intervals up to idlePollMs', async (t) => {
  const { claims, worker, advance } = setUp(t);
  worker.poke();
  await advance(40_000);
  await worker.stop();
  const gaps = claims.slice(1).map((at, i) => at - claims[i]);
  assert.equal(claims[0], 0);
  assert.deepEqual(gaps.slice(0, 5), [2000, 4000, 8000, 8000, 8000]);
});

test('rows queued elsewhere are still found while backed off, and bring the poll back to pollMs', async (t) => {
  const { queue, claims, attempted, worker, advance } = setUp(t);
  worker.poke();
  await advance(15_000); // polls at 0, 2 s, 6 s, 14 s: now waiting 8 s
  queue.push({ id: 1, appId: 'a' }); // another node's row: nobody pokes this worker
  await advance(7750);
  assert.deepEqual(attempted, [1], 'found by the poll at 22 s');
  assert.deepEqual(claims, [0, 2000, 6000, 14_000, 22_000]);
  await advance(3000);
  assert.deepEqual(claims.slice(4), [22_000, 23_000, 25_000], 'after rows were found the polls start again at pollMs');
  await worker.stop();
});

test('a poke claims at once, whatever the idle interval', async (t) => {
  const { queue, attempted, claims, worker, advance } = setUp(t);
  worker.poke();
  await advance(15_000);
  queue.push({ id: 7, appId: 'a' });
  worker.poke();
  await advance(0);
  assert.deepEqual(attempted, [7]);
  assert.equal(claims.at(-1), 15_000);
  await worker.stop();
});
