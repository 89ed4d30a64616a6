import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  consumeStatsBody,
  defaultSubscriptionGroupConfig,
  languageName,
  parseSubscriptionGroupConfig,
  subscriptionDataView,
  topicStatsTableBody,
} from '../../../src/protocol/admin-bodies.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import { remotingErrorAnswer } from '../../../src/errors/boundaries.js';

const mq = (queueId: number) => ({ brokerName: 'b', queueId, topic: 'T' });

test('TopicStatsTable and ConsumeStats key their tables by message queue objects, as fastjson writes them', () => {
  assert.equal(
    topicStatsTableBody([[mq(0), { minOffset: 0, maxOffset: 3, lastUpdateTimestamp: 7 }]]).toString(),
    '{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"minOffset":0,"maxOffset":3,"lastUpdateTimestamp":7}},"topicPutTps":0}',
  );
  assert.equal(
    consumeStatsBody([[mq(1), { brokerOffset: 5, consumerOffset: 2, pullOffset: 2, lastTimestamp: 0 }]]).toString(),
    '{"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":5,"consumerOffset":2,"pullOffset":2,"lastTimestamp":0}},"consumeTps":0}',
  );
});

test('a subscription group config body as mqadmin updateSubGroup sends it: given fields kept, the rest defaulted', () => {
  const body = Buffer.from(JSON.stringify({
    attributes: {}, brokerId: 0, consumeBroadcastEnable: false, consumeEnable: true, consumeFromMinEnable: false, consumeMessageOrderly: false,
    consumeTimeoutMinute: 15, groupName: 'G1', groupRetryPolicy: { type: 'CUSTOMIZED' }, groupSysFlag: 0, notifyConsumerIdsChangedEnable: true,
    retryMaxTimes: 5, retryQueueNums: 1, whichBrokerWhenConsumeSlowly: 1,
  }));
  assert.deepEqual(parseSubscriptionGroupConfig(body), { ...defaultSubscriptionGroupConfig('G1'), consumeBroadcastEnable: false, consumeFromMinEnable: false, retryMaxTimes: 5 });
  assert.deepEqual(parseSubscriptionGroupConfig(Buffer.from('{"groupName":"G2"}')), defaultSubscriptionGroupConfig('G2'));
});

test('a malformed subscription group config is INVALID_PARAMETER naming what is wrong', () => {
  const rejects = (body: string, reason: RegExp): void => {
    assert.throws(() => parseSubscriptionGroupConfig(Buffer.from(body)), (err: unknown) =>
      err instanceof BrokerError && remotingErrorAnswer(err).code === 29 && reason.test(err.message));
  };
  rejects('not json', /not valid JSON/);
  rejects('[1]', /JSON object/);
  rejects('{"retryMaxTimes":1}', /groupName is required/);
  rejects('{"groupName":"G","retryMaxTimes":"5"}', /retryMaxTimes must be an integer/);
  rejects('{"groupName":"G","consumeEnable":1}', /consumeEnable must be true or false/);
  rejects('{"groupName":"G","attributes":{"a":1}}', /attributes/);
  assert.throws(() => parseSubscriptionGroupConfig(undefined), /missing/);
});

test('subscriptions show their tags and tag hash codes; unknown client languages show as OTHER', () => {
  assert.deepEqual(subscriptionDataView({ topic: 'T', expression: 'TagA || TagB', type: 'TAG' }), {
    topic: 'T', subString: 'TagA || TagB', tagsSet: ['TagA', 'TagB'], codeSet: [2598919, 2598920], expressionType: 'TAG', classFilterMode: false,
  });
  assert.deepEqual(subscriptionDataView({ topic: 'T', expression: '*', type: 'TAG' }).tagsSet, []);
  assert.deepEqual(subscriptionDataView({ topic: 'T', expression: 'a > 5 AND TAGS IN (\'x\')', type: 'SQL92' }), {
    topic: 'T', subString: "a > 5 AND TAGS IN ('x')", tagsSet: [], codeSet: [], expressionType: 'SQL92', classFilterMode: false,
  });
  assert.equal(languageName('JAVA'), 'JAVA');
  assert.equal(languageName('NODE_JS'), 'NODE_JS');
  assert.equal(languageName('COBOL'), 'OTHER');
});
