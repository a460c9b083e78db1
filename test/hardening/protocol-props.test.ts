// Property tests of the pure protocol code against random and mutated input (fast-check, fixed seed
// so a failure reproduces): the frame decoder, channel-name rules and the signature checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeInbound, encodeAppEvent } from '../../src/protocol/messages.ts';
import { PusherError } from '../../src/protocol/errors.ts';
import {
  channelNameError,
  channelRules,
  MAX_CHANNEL_NAME,
  parsePeerChannel,
  peerChannelName,
  USER_CHANNEL_PREFIX,
} from '../../src/protocol/channels.ts';
import { channelAuth, safeEqual, userAuth, verifyChannelAuth, verifyUserAuth } from '../../src/protocol/signatures.ts';
import { mutateString, SEED } from './arbitraries.ts';

const RUNS = { seed: SEED, numRuns: 2000 };

// --- decodeInbound -----------------------------------------------------------------------------

/** Frames that look like Pusher messages, with random fields: the decoder's interesting inputs. */
const messageLike = fc
  .record(
    {
      event: fc.oneof(
        fc.constantFrom('pusher:subscribe', 'pusher:ping', 'pusher:signin', 'client-x', ''),
        fc.string(),
        fc.jsonValue(),
      ),
      channel: fc.oneof(fc.string(), fc.jsonValue()),
      data: fc.oneof(fc.jsonValue(), fc.json(), fc.string()),
      persist: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));

const anyFrame = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.json(),
  messageLike,
  messageLike.chain((s) => mutateString(s)),
  fc.integer({ min: 1, max: 5000 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  fc.integer({ min: 1, max: 5000 }).map((n) => `{"event":"pusher:subscribe","data":"${'['.repeat(n)}"}`),
);

function checkDecoded(text: string): void {
  let msg;
  try {
    msg = decodeInbound(text);
  } catch (err) {
    assert.ok(err instanceof PusherError, `threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.equal(err.close, false, 'a bad frame never closes the socket by itself');
    assert.equal(err.code, null);
    return;
  }
  assert.equal(typeof msg.event, 'string');
  assert.ok(msg.event.length > 0);
  assert.ok(msg.channel === undefined || typeof msg.channel === 'string');
  assert.ok(msg.persist === undefined || typeof msg.persist === 'boolean');
}

test('decodeInbound: any text either decodes to a well-typed message or throws a non-fatal PusherError', () => {
  fc.assert(fc.property(anyFrame, checkDecoded), RUNS);
});

test('decodeInbound: well-formed messages keep event, channel, data and persist', () => {
  const event = fc.string({ minLength: 1 });
  fc.assert(
    fc.property(
      event,
      fc.option(fc.string(), { nil: undefined }),
      fc.jsonValue(),
      fc.option(fc.boolean(), { nil: undefined }),
      (ev, channel, data, persist) => {
        const msg = decodeInbound(JSON.stringify({ event: ev, channel, data, persist }));
        assert.equal(msg.event, ev);
        assert.equal(msg.channel, channel);
        assert.equal(msg.persist, persist);
        // pusher:* events take their data as an object or as a JSON string; both decode the same
        if (ev.startsWith('pusher:') && data !== null && typeof data === 'object') {
          assert.deepEqual(decodeInbound(JSON.stringify({ event: ev, data: JSON.stringify(data) })).data, data);
        }
        if (!ev.startsWith('pusher:')) assert.deepEqual(msg.data, JSON.parse(JSON.stringify(data)));
      },
    ),
    RUNS,
  );
});

// --- channel names -----------------------------------------------------------------------------

const ALLOWED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-=@,.;&:';
const allowedChar = fc.constantFrom(...ALLOWED);
const legalName = fc.oneof(
  fc.string({ unit: allowedChar, minLength: 1, maxLength: MAX_CHANNEL_NAME }),
  fc
    .tuple(
      fc.constantFrom('private-', 'presence-', 'private-encrypted-', 'cache-', 'presence-cache-', 'personal-', 'peer-'),
      fc.string({ unit: allowedChar, minLength: 1, maxLength: 50 }),
    )
    .map(([p, s]) => p + s),
  fc
    .string({ unit: allowedChar, minLength: 1, maxLength: MAX_CHANNEL_NAME - USER_CHANNEL_PREFIX.length })
    .map((s) => USER_CHANNEL_PREFIX + s),
);

/** The rule written out independently of the implementation's regex. */
function modelLegal(name: unknown): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_CHANNEL_NAME) return false;
  const rest = name.startsWith(USER_CHANNEL_PREFIX) ? name.slice(USER_CHANNEL_PREFIX.length) : name;
  return rest.length > 0 && [...rest].every((c) => ALLOWED.includes(c));
}

test('channelNameError: accepts exactly the legal names (any value, any string, mutated legal names)', () => {
  const candidate = fc.oneof(
    legalName,
    legalName.chain((s) => mutateString(s)),
    fc.string({ unit: 'binary' }),
    fc.anything(),
  );
  fc.assert(
    fc.property(candidate, (name) => {
      const err = channelNameError(name);
      assert.equal(err === undefined, modelLegal(name), `${JSON.stringify(name)}: ${err}`);
      if (err !== undefined) assert.equal(typeof err, 'string');
    }),
    RUNS,
  );
  assert.ok(channelNameError('a'.repeat(MAX_CHANNEL_NAME)) === undefined);
  assert.ok(channelNameError('a'.repeat(MAX_CHANNEL_NAME + 1)) !== undefined);
  assert.ok(channelNameError(USER_CHANNEL_PREFIX) !== undefined);
});

test('channelRules: signed kinds are exactly the ones whose prefix says so; stable across calls', () => {
  fc.assert(
    fc.property(legalName, (name) => {
      const r = channelRules(name);
      assert.deepEqual(channelRules(name), r);
      const needsSignature =
        /^(private-|presence-|personal-|peer-)/.test(name) && !name.startsWith(USER_CHANNEL_PREFIX);
      assert.equal(r.signed, needsSignature, name);
      if (r.clientEvents) assert.ok(r.signed, 'client events only where joining needs a signature');
      assert.equal(r.kind === 'private-encrypted' && r.clientEvents, false);
      if (name.startsWith(USER_CHANNEL_PREFIX)) assert.equal(r.kind, 'user');
    }),
    RUNS,
  );
});

test('peer channel names round-trip and do not depend on the order of the two users', () => {
  const base = fc.string({ unit: allowedChar, minLength: 1, maxLength: 40 });
  const user = fc.string({ unit: fc.constantFrom(...ALLOWED.replace(/[:&]/g, '')), minLength: 1, maxLength: 20 });
  fc.assert(
    fc.property(base, user, user, (b, u1, u2) => {
      const name = peerChannelName(`presence-${b}`, u1, u2);
      assert.equal(name, peerChannelName(`presence-${b}`, u2, u1));
      const parsed = parsePeerChannel(name)!;
      assert.equal(parsed.presence, `presence-${b}`);
      assert.deepEqual([...parsed.users].sort(), [u1, u2].sort());
    }),
    RUNS,
  );
});

// --- signatures --------------------------------------------------------------------------------

const hexSecret = fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 8, maxLength: 40 });
const socketId = fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a}.${b}`);

test('safeEqual agrees with === on well-formed strings', () => {
  const s = fc.string({ unit: 'binary', maxLength: 60 });
  fc.assert(
    fc.property(s, s, (a, b) => assert.equal(safeEqual(a, b), a === b)),
    RUNS,
  );
  fc.assert(
    fc.property(s, (a) => assert.equal(safeEqual(a, a), true)),
    RUNS,
  );
});

test('verifyChannelAuth accepts exactly the right signature', () => {
  fc.assert(
    fc.property(
      hexSecret,
      hexSecret,
      socketId,
      legalName,
      fc.option(fc.json(), { nil: undefined }),
      fc.oneof(fc.anything(), fc.string({ unit: 'binary' })),
      fc.nat(),
      (key, secret, sid, channel, channelData, junk, pick) => {
        const right = channelAuth(key, secret, sid, channel, channelData);
        assert.equal(verifyChannelAuth(right, key, secret, sid, channel, channelData), true);
        const wrong = [
          junk,
          right.slice(0, -1),
          right + '0',
          right.toUpperCase() === right ? right.toLowerCase() : right.toUpperCase(),
          flipChar(right, pick),
          channelAuth(key, secret + 'x', sid, channel, channelData),
          channelAuth(key, secret, `${sid}1`, channel, channelData),
          channelAuth(key, secret, sid, `${channel}x`, channelData),
          channelAuth(key, secret, sid, channel, channelData === undefined ? '{}' : undefined),
          channelAuth(`${key}x`, secret, sid, channel, channelData),
        ];
        for (const auth of wrong) {
          if (auth === right) continue;
          assert.equal(verifyChannelAuth(auth, key, secret, sid, channel, channelData), false, String(auth));
        }
      },
    ),
    RUNS,
  );
});

test('verifyUserAuth accepts exactly the right signature', () => {
  fc.assert(
    fc.property(
      hexSecret,
      hexSecret,
      socketId,
      fc.json(),
      fc.oneof(fc.anything(), fc.string()),
      fc.nat(),
      (key, secret, sid, userData, junk, pick) => {
        const right = userAuth(key, secret, sid, userData);
        assert.equal(verifyUserAuth(right, key, secret, sid, userData), true);
        const wrong = [
          junk,
          flipChar(right, pick),
          right.slice(1),
          userAuth(key, secret, sid, userData + ' '),
          userAuth(key, `${secret}1`, sid, userData),
          userAuth(key, secret, `${sid}9`, userData),
        ];
        for (const auth of wrong)
          if (auth !== right) assert.equal(verifyUserAuth(auth, key, secret, sid, userData), false, String(auth));
      },
    ),
    RUNS,
  );
});

test('a channel signature can never pass as a user signature: the bytes would need an illegal channel name', () => {
  const userData = fc
    .record({ id: fc.string({ minLength: 1 }), user_info: fc.jsonValue() })
    .map((o) => JSON.stringify(o));
  fc.assert(
    fc.property(userData, (ud) => {
      // userAuth signs `${socketId}::user::${ud}`; a channel auth signs `${socketId}:${channel}`
      assert.notEqual(channelNameError(`:user::${ud}`), undefined);
    }),
    RUNS,
  );
});

function flipChar(s: string, pick: number): string {
  const i = pick % s.length;
  const c = s[i];
  const replacement = c === '0' ? '1' : c === 'a' ? 'b' : c === ':' ? ';' : '0';
  return s.slice(0, i) + replacement + s.slice(i + 1);
}

// --- encodeAppEvent ----------------------------------------------------------------------------

test('encodeAppEvent: data given as a value or already as JSON makes the same frame, fields in Pusher order', () => {
  const optional = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
  fc.assert(
    fc.property(
      fc.string(),
      fc.string(),
      fc.jsonValue(),
      optional(fc.string()),
      optional(fc.tuple(fc.string(), fc.nat())),
      (event, channel, data, userId, stored) => {
        const base = { event, channel, userId, mid: stored?.[0], timestamp: stored?.[1] };
        const fromValue = encodeAppEvent({ ...base, data });
        const fromJson = encodeAppEvent({ ...base, dataJson: JSON.stringify(data) });
        assert.equal(fromValue, fromJson);
        const parsed = JSON.parse(fromValue);
        const keys = [
          'event',
          'channel',
          'data',
          ...(userId !== undefined ? ['user_id'] : []),
          ...(stored ? ['mid', 'timestamp'] : []),
        ];
        assert.deepEqual(Object.keys(parsed), keys);
        assert.deepEqual(parsed.data, JSON.parse(JSON.stringify(data)));
      },
    ),
    RUNS,
  );
});
