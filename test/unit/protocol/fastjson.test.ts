import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectKeyMap, parseFastjson, toFastjson } from '../../../src/protocol/fastjson.js';

test('a map keyed by message queues is written with the key objects as keys, as fastjson does', () => {
  const body = {
    offsetTable: new ObjectKeyMap([
      [{ brokerName: 'b', queueId: 0, topic: 'T' }, 5],
      [{ brokerName: 'b', queueId: 1, topic: 'T' }, { minOffset: 0, maxOffset: 7 }],
    ]),
  };
  assert.equal(
    toFastjson(body),
    '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:{"minOffset":0,"maxOffset":7}}}',
  );
});

test('everything else is plain JSON: strings escaped, undefined fields left out, bigints as digits, Maps as objects', () => {
  assert.equal(toFastjson({ a: 'x"y', b: undefined, c: [1, null], d: 2n ** 63n - 1n, e: new Map([['k', true]]) }), '{"a":"x\\"y","c":[1,null],"d":9223372036854775807,"e":{"k":true}}');
  assert.equal(toFastjson(new ObjectKeyMap([])), '{}');
});

test('fastjson read back: object-keyed maps become ObjectKeyMaps, the rest plain values, big longs bigints', () => {
  const text = '{"messageQueueTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:9223372036854775807},'
    + ' "list":[1, -2.5e3, "x\\"y", true, null, {}], "empty":{}}';
  const parsed = parseFastjson(text) as { messageQueueTable: ObjectKeyMap; list: unknown[]; empty: object };
  assert.ok(parsed.messageQueueTable instanceof ObjectKeyMap);
  assert.deepEqual(parsed.messageQueueTable.entries, [
    [{ brokerName: 'b', queueId: 0, topic: 'T' }, 5],
    [{ brokerName: 'b', queueId: 1, topic: 'T' }, 9223372036854775807n],
  ]);
  assert.deepEqual(parsed.list, [1, -2500, 'x"y', true, null, {}]);
  assert.deepEqual(parsed.empty, {});
  assert.equal(toFastjson(parsed.messageQueueTable), '{{"brokerName":"b","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:9223372036854775807}');
});

test('malformed fastjson is a SyntaxError naming where', () => {
  assert.throws(() => parseFastjson('{"a":1'), SyntaxError);
  assert.throws(() => parseFastjson('{"a" 1}'), /expected :/);
  assert.throws(() => parseFastjson('[1] x'), /trailing/);
});
