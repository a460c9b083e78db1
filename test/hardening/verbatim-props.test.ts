// Property tests of src/protocol/verbatim.ts: a client event is forwarded as received only when its
// text holds exactly event, channel and data, each once; then its peers parse from it the same
// values the server parsed. Anything else (another key, a key twice, escapes, whitespace) is
// refused, so the server encodes the event itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { verbatimData, verbatimFrame } from '../../src/protocol/verbatim.ts';
import { mutateString, SEED } from './arbitraries.ts';

const RUNS = { seed: SEED, numRuns: 2000 };
const channel = fc.stringMatching(/^(private|presence)-[A-Za-z0-9_\-=@,.;]{1,30}$/);
const eventName = fc.oneof(
  fc.stringMatching(/^client-[A-Za-z0-9_:.-]{1,20}$/),
  fc.string({ maxLength: 12 }).map((s) => `client-${s}`),
);
const data = fc.oneof(fc.jsonValue(), fc.string({ unit: 'binary', maxLength: 40 }));

/** What the server parsed, when it would take the message as a client event at all. */
function parsed(text: string): { event: string; channel: string; data: unknown; keys: string[] } | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const o = m as Record<string, unknown>;
  if (typeof o.event !== 'string' || typeof o.channel !== 'string') return undefined;
  return { event: o.event, channel: o.channel, data: o.data, keys: Object.keys(o) };
}

/** The safety property: whenever the text is forwarded, it carries exactly what the server parsed. */
function assertSafe(text: string): void {
  const p = parsed(text);
  if (!p) return;
  const raw = verbatimData(text, p.event, p.channel);
  if (raw === undefined) return;
  assert.deepEqual([...p.keys].sort(), ['channel', 'data', 'event'], text);
  assert.deepEqual(JSON.parse(raw), p.data, text);
  // The names stand in the text unescaped (what makes them comparable without a parse).
  const layouts = [
    `{"event":"${p.event}","channel":"${p.channel}","data":${raw}}`,
    `{"event":"${p.event}","data":${raw},"channel":"${p.channel}"}`,
  ];
  assert.ok(layouts.includes(text), `not one of the two layouts: ${text}`);
  // A peer's parse of the forwarded frame (user_id added on presence) gives the same values.
  const frame = JSON.parse(verbatimFrame(text, 'server-user'));
  assert.deepEqual(frame, { event: p.event, channel: p.channel, data: p.data, user_id: 'server-user' });
}

test('verbatimData: the layouts clients write are forwarded, with the data as sent', () => {
  fc.assert(
    fc.property(eventName, channel, data, fc.boolean(), (event, ch, d, dataLast) => {
      const text = JSON.stringify(dataLast ? { event, channel: ch, data: d } : { event, data: d, channel: ch });
      const raw = verbatimData(text, event, ch);
      if (event.includes('\\') || JSON.stringify(event) !== `"${event}"`) {
        // Escapes in the event name: refused, or (never) forwarded safely.
        if (raw !== undefined) assertSafe(text);
        return;
      }
      assert.equal(raw, JSON.stringify(d), text);
      assertSafe(text);
    }),
    RUNS,
  );
});

test('verbatimData: mutated messages are either refused or carry exactly what was parsed', () => {
  const message = fc
    .tuple(eventName, channel, data, fc.boolean())
    .map(([event, ch, d, last]) =>
      JSON.stringify(last ? { event, channel: ch, data: d } : { event, data: d, channel: ch }),
    );
  fc.assert(
    fc.property(message.chain(mutateString), (text) => assertSafe(text)),
    { seed: SEED, numRuns: 5000 },
  );
});

test('verbatimData: extra, repeated or disguised keys are refused', () => {
  const refused = [
    '{"event":"client-a","channel":"private-b","data":1,"channel":"private-x"}',
    '{"event":"client-a","channel":"private-b","data":1,"user_id":"admin"}',
    '{"event":"client-a","data":1,"user_id":"admin","channel":"private-b"}',
    '{"event":"client-a","data":1,"channel":"private-b","user_id":"admin"}',
    '{"event":"client-a","data":1,"channel":"private-x","channel":"private-b"}',
    '{"event":"client-a","data":"x","channel":"private-b" }',
    '{"event":"client-a","data":{"x":1},"data":{"y":2},"channel":"private-b"}',
    '{"event":"client-a","channel":"private-b","data":"x","persist":true}',
    '{"event":"client-a","channel":"private-b","channel":"private-b","data":1}',
    '{"event":"client-a", "channel":"private-b","data":1}',
    '{"event":"client-a","channel":"private-b","data":1 ,"x":2}',
    '{"event":"client-\\u0061","channel":"private-b","data":1}',
    '{"event":"client-a","channel":"private-b"}',
    '{"channel":"private-b","event":"client-a","data":1}',
  ];
  for (const text of refused) {
    const p = parsed(text)!;
    assert.equal(verbatimData(text, p.event, p.channel), undefined, text);
  }
});

test('verbatimData: data with braces, quotes and backslashes in strings is delimited right', () => {
  const cases: unknown[] = [
    { x: '}' },
    ['{', ']', '"', '\\'],
    'a"b',
    'ends with a backslash \\',
    '\\\\"},"user_id":"admin',
    { nested: [{ deep: ['}}]]"'] }] },
    0,
    -1.5e-7,
    true,
    null,
    '',
  ];
  for (const d of cases) {
    for (const text of [
      JSON.stringify({ event: 'client-a', channel: 'private-b', data: d }),
      JSON.stringify({ event: 'client-a', data: d, channel: 'private-b' }),
    ]) {
      assert.equal(verbatimData(text, 'client-a', 'private-b'), JSON.stringify(d), text);
      assertSafe(text);
    }
  }
});

test('verbatimFrame adds the server-side user_id last and leaves private frames as received', () => {
  const text = '{"event":"client-a","data":{"n":1},"channel":"presence-b"}';
  assert.equal(verbatimFrame(text, undefined), text);
  assert.equal(
    verbatimFrame(text, 'u"1'),
    '{"event":"client-a","data":{"n":1},"channel":"presence-b","user_id":"u\\"1"}',
  );
});
