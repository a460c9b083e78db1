// verbatimData on exact texts: each layout it forwards as received, and each near miss it refuses
// (the property tests check safety on random texts; these pin every guard to an example).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verbatimData, verbatimFrame } from '../../src/protocol/verbatim.ts';

const E = 'client-a';
const C = 'private-c';

test('forwarded as received: both key orders, every kind of data value', () => {
  const cases: Array<[string, string]> = [
    [`{"event":"${E}","channel":"${C}","data":{"x":1}}`, '{"x":1}'],
    [`{"event":"${E}","data":{"x":1},"channel":"${C}"}`, '{"x":1}'],
    [`{"event":"${E}","channel":"${C}","data":12}`, '12'],
    [`{"event":"${E}","data":-1.5e3,"channel":"${C}"}`, '-1.5e3'],
    [`{"event":"${E}","data":true,"channel":"${C}"}`, 'true'],
    [`{"event":"${E}","channel":"${C}","data":null}`, 'null'],
    [`{"event":"${E}","data":"s","channel":"${C}"}`, '"s"'],
    [`{"event":"${E}","channel":"${C}","data":"a\\"b"}`, '"a\\"b"'],
    [`{"event":"${E}","data":"a\\\\","channel":"${C}"}`, '"a\\\\"'],
    [`{"event":"${E}","data":[1,{"b":"]}"}],"channel":"${C}"}`, '[1,{"b":"]}"}]'],
    [`{"event":"${E}","channel":"${C}","data":{"a":[{}],"b":"{"}}`, '{"a":[{}],"b":"{"}'],
  ];
  for (const [text, data] of cases) assert.equal(verbatimData(text, E, C), data, text);
});

test('refused (the server encodes the event itself): every near miss', () => {
  const refused = [
    `{"event": "${E}","channel":"${C}","data":1}`, // whitespace
    `{"evenx":"${E}","channel":"${C}","data":1}`, // not the event key
    `{"event":"client-b","channel":"${C}","data":1}`, // another event name
    `{"event":"${E}x","channel":"${C}","data":1}`, // a longer event name
    `{"event":"${E}"}`, // nothing after the event
    `{"event":"${E}","chanxel":"${C}","data":1}`, // not the channel key
    `{"event":"${E}","channel":"${C}x","data":1}`, // a longer channel name
    `{"event":"${E}","channel":"${C}"}`, // no data
    `{"event":"${E}","channel":"${C}","date":1}`, // not the data key
    `{"event":"${E}","channel":"${C}","data":1,"x":2}`, // another key after
    `{"event":"${E}","channel":"${C}","data":{"a":1}}}`, // more after the closing brace
    `{"event":"${E}","channel":"${C}","data":"s"x`, // no closing brace
    `{"event":"${E}","channel":"${C}","data":"abc`, // an unterminated string
    `{"event":"${E}","channel":"${C}","data":{"a":1`, // an unterminated object
    `{"event":"${E}","channel":"${C}","data":1`, // a number running to the end
    `{"event":"${E}","data":1}`, // data first, no channel
    `{"event":"${E}","data":1,"x":"${C}"}`, // data first, another key
    `{"event":"${E}","data":1,"channel":"${C}","x":1}`, // data first, a key after the channel
    `{"event":"${E}","data":,"channel":"${C}"}`, // an empty value
    `{"event":"${E}","data":{"a":1}x"channel":"${C}"}`, // no comma after the data
    `{"event":"${E}","data":"s"x"channel":"${C}"}`, // no comma after a string
    `{"event":"${E}x,"channel":"${C}","data":1}`, // no quote after the event name
    `{"event":"${E}"x"channel":"${C}","data":1}`, // no comma after the event
    `{"event":"${E}","channel":"private-d","data":1}`, // another channel of the same length
    `{"event":"${E}","channel":"${C}"x"data":1}`, // no comma after the channel
    `{"event":"${E}","channel":"${C}","data":{"a":"x}`, // an unterminated string inside an object
  ];
  for (const text of refused) assert.equal(verbatimData(text, E, C), undefined, text);
  // An event name with a backslash: the text held an escape, so the name is not as written there.
  assert.equal(verbatimData(`{"event":"a\\\\","channel":"${C}","data":1}`, 'a\\\\', C), undefined);
});

test('verbatimFrame adds the user_id on presence channels only', () => {
  const text = `{"event":"${E}","channel":"presence-r","data":1}`;
  assert.equal(verbatimFrame(text, undefined), text);
  assert.equal(verbatimFrame(text, 'u"1'), `{"event":"${E}","channel":"presence-r","data":1,"user_id":"u\\"1"}`);
});
