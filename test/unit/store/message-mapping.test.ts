import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toPulsarMessage, fromPulsarMessage } from '../../../src/store/pulsar/message-mapping.js';
import type { ReceivedMessage } from '../../../src/pulsar/consumer.js';

const at = { topic: 'T', queueId: 2, queueOffset: 41, locator: 7n };

function received(over: Partial<ReceivedMessage>): ReceivedMessage {
  return {
    id: { ledgerId: 1, entryId: 2, partition: 2, batchIndex: -1 }, index: 41, brokerTimestamp: 1700000000500, publishTime: 1700000000400,
    eventTime: 0, properties: new Map(), payload: Buffer.from('x'), redeliveryCount: 0, producerName: 'p', entryMessages: 1, ...over,
  };
}

test('a RocketMQ message survives the trip through Pulsar with every field', () => {
  const props = new Map([['TAGS', 'TagA'], ['KEYS', 'k1 k2'], ['UNIQ_KEY', 'ABC'], ['user', 'ünïcode']]);
  const out = toPulsarMessage({
    body: Buffer.from([0, 1, 2, 255]), flag: 3, sysFlag: 1, properties: props, bornTimestamp: 1700000000000,
    bornHost: '10.0.0.1:5555', reconsumeTimes: 2, preparedTransactionOffset: 123n,
  });
  assert.equal(out.key, 'k1');
  assert.equal(out.properties!.TAGS, 'TagA');
  assert.equal(out.properties!.user, 'ünïcode');
  const back = fromPulsarMessage(received({ payload: out.payload, eventTime: out.eventTime!, key: out.key, properties: new Map(Object.entries(out.properties!)) }), at);
  assert.deepEqual(back.body, Buffer.from([0, 1, 2, 255]));
  assert.deepEqual([...back.properties], [...props]);
  assert.equal(back.flag, 3);
  assert.equal(back.sysFlag, 1);
  assert.equal(back.bornHost, '10.0.0.1:5555');
  assert.equal(back.bornTimestamp, 1700000000000);
  assert.equal(back.reconsumeTimes, 2);
  assert.equal(back.preparedTransactionOffset, 123n);
  assert.equal(back.storeTimestamp, 1700000000500);
  assert.equal(back.queueOffset, 41);
});

test('a Pulsar-native message reads as a RocketMQ message with its key as KEYS and no tag', () => {
  const back = fromPulsarMessage(received({ key: 'order-9', properties: new Map([['color', 'red']]), brokerTimestamp: undefined }), at);
  assert.equal(back.properties.get('KEYS'), 'order-9');
  assert.equal(back.properties.get('color'), 'red');
  assert.equal(back.properties.has('TAGS'), false);
  assert.equal(back.bornTimestamp, 1700000000400);
  assert.equal(back.storeTimestamp, 1700000000400);
  assert.equal(back.flag, 0);
});
