// A command Redis refuses (a ReplyError) is Redis' answer, not a broken connection: the link does not
// hold it for a retry, so the publishes after it are not queued behind a command that can never succeed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { Names } from '../../src/cluster/redis/bus.ts';
import { redisTarget } from '../../src/cluster/redis/connect.ts';
import { RedisLink } from '../../src/cluster/redis/redis-link.ts';
import { REDIS_URL, redisSkipReason } from './helpers.ts';

const skip = await redisSkipReason();

test('a refused command is not retried: the next publish goes out at once', { skip }, async () => {
  const names = new Names(`pushi-test:link-${process.pid}-${Date.now()}`, 'node-1');
  const link = new RedisLink(redisTarget(REDIS_URL), names, pino({ level: 'silent' }), {
    up: () => undefined,
    down: () => undefined,
    message: () => undefined,
  });
  try {
    assert.ok(await link.start(5000), 'the link came up');
    let refusedRuns = 0;
    let refused!: Promise<unknown>;
    link.send((cmd) => {
      refusedRuns++;
      refused = cmd.call('NO-SUCH-COMMAND');
      return refused;
    });
    await assert.rejects(refused, /unknown command/i);
    await link.published(); // the link's own handler of the refusal has run by now

    let sentAt: 'at once' | 'later' = 'later';
    link.send((cmd) => {
      sentAt = 'at once';
      return cmd.publish(names.bus, 'after the refusal');
    });
    assert.equal(sentAt, 'at once', 'a publish after a refused command is sent, not queued behind it');
    await link.published();
    assert.equal(refusedRuns, 1, 'the refused command ran once');
  } finally {
    await link.close();
  }
});
