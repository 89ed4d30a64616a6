import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pulsarTopicName, rocketTopicName, partitionName } from '../../../src/store/pulsar/topic-mapping.js';

const d = { tenant: 'rocketmq', namespace: 'default' };

test('RocketMQ topics map to partitioned Pulsar topics and back', () => {
  const cases: Array<[string, string]> = [
    ['TopicTest', 'persistent://rocketmq/default/TopicTest'],
    ['%RETRY%GroupA', 'persistent://rocketmq/default/=RETRY=GroupA'],
    ['%DLQ%GroupA', 'persistent://rocketmq/default/=DLQ=GroupA'],
    ['ns1%TopicTest', 'persistent://rocketmq/ns1/TopicTest'],
    ['acme|orders%Paid', 'persistent://acme/orders/Paid'],
    ['%RETRY%acme|orders%GroupB', 'persistent://acme/orders/=RETRY=GroupB'],
    ['with-dash_and_underscore', 'persistent://rocketmq/default/with-dash_and_underscore'],
  ];
  for (const [rocket, pulsar] of cases) {
    assert.equal(pulsarTopicName(rocket, d), pulsar, rocket);
    assert.equal(rocketTopicName(pulsar, d), rocket, pulsar);
  }
});

test('queue q is partition q', () => {
  assert.equal(partitionName('persistent://rocketmq/default/T', 3), 'persistent://rocketmq/default/T-partition-3');
});
