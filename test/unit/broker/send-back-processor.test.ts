import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestCode, ResponseCode as R } from '../../../src/protocol/request-code.js';
import { createOffsetMsgId } from '../../../src/protocol/message-codec.js';
import { SCHEDULE_TOPIC } from '../../../src/broker/system-topics.js';
import type { StoredMessage } from '../../../src/store/message-store.js';
import { eventually, withProcessors, type ProcessorHarness } from '../../support/processor-harness.js';

// CONSUMER_SEND_MSG_BACK's decisions, in process on a temp-dir embedded store: a message a consumer failed waits a
// level in the delay topic and then lands in %RETRY%<group>; past the most retries, or when asked, in %DLQ%<group>.
// The harness's delay levels are 100 ms apart (level n waits n × 100 ms), so a retry is delivered within the test.
const BROKER = '127.0.0.1:10911';

const sendBack = (h: ProcessorHarness, offset: bigint | number | string, o: { group?: string; delayLevel?: number; maxReconsumeTimes?: number } = {}) =>
  h.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, {
    group: o.group ?? 'G', offset, delayLevel: o.delayLevel ?? 0, maxReconsumeTimes: o.maxReconsumeTimes, originTopic: 'T', originMsgId: 'ignored',
  });

/** A message of topic T, as a consumer received it. */
async function consumed(h: ProcessorHarness, extra: Record<string, string | number> = {}): Promise<StoredMessage> {
  await h.ctx.topicOrCreate('T', 1);
  const sent = await h.send('T', 'payload', { tags: 'A', keys: 'k1', properties: { UNIQ_KEY: 'uniq-1' }, extra });
  assert.equal(sent.code, R.SUCCESS);
  return (await h.stored('T')).at(-1)!;
}

test('a message given back waits at level 3 plus its retries, then lands in %RETRY%group, reconsumed once more, its origin kept', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    const res = await sendBack(h, m.locator);
    assert.equal(res.code, R.SUCCESS, res.remark);
    const [waiting] = await h.stored(SCHEDULE_TOPIC, 2);
    assert.deepEqual([waiting!.properties.get('DELAY'), waiting!.properties.get('REAL_TOPIC'), waiting!.properties.get('REAL_QID')], ['3', '%RETRY%G', '0']);
    assert.equal(h.store.getTopic('%RETRY%G')?.writeQueueNums, 1);
    const [retry] = await eventually(async () => (await h.stored('%RETRY%G')).length > 0 && h.stored('%RETRY%G'), 3000, 'delivery to %RETRY%G');
    assert.equal(retry!.body.toString(), 'payload');
    assert.equal(retry!.reconsumeTimes, 1);
    const p = retry!.properties;
    assert.equal(p.get('RETRY_TOPIC'), 'T', 'the topic it was first consumed from');
    assert.equal(p.get('ORIGIN_MESSAGE_ID'), createOffsetMsgId(BROKER, m.locator));
    assert.deepEqual([p.get('UNIQ_KEY'), p.get('TAGS'), p.get('KEYS'), p.get('WAIT')], ['uniq-1', 'A', 'k1', 'false']);
    assert.deepEqual([retry!.bornHost, retry!.bornTimestamp], [m.bornHost, m.bornTimestamp], 'born where and when the original was');
  });
});

test('a retried message given back again waits a level longer and keeps its first topic and origin id', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    await sendBack(h, m.locator);
    const [retry] = await eventually(async () => (await h.stored('%RETRY%G')).length > 0 && h.stored('%RETRY%G'), 3000, 'first retry');
    assert.equal((await sendBack(h, retry!.locator)).code, R.SUCCESS);
    const [again] = await h.stored(SCHEDULE_TOPIC, 3);
    assert.equal(again!.properties.get('DELAY'), '4', 'level 3 + 1 retry');
    assert.equal(again!.reconsumeTimes, 2);
    assert.equal(again!.properties.get('RETRY_TOPIC'), 'T');
    assert.equal(again!.properties.get('ORIGIN_MESSAGE_ID'), createOffsetMsgId(BROKER, m.locator));
  });
});

test('the delay level the consumer asks for is the one it waits', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    assert.equal((await sendBack(h, m.locator, { delayLevel: 5 })).code, R.SUCCESS);
    assert.equal((await h.stored(SCHEDULE_TOPIC, 4))[0]?.properties.get('DELAY'), '5');
  });
});

test('at maxReconsumeTimes the message goes straight to %DLQ%group, with delay level 0', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h, { reconsumeTimes: 2 });
    assert.equal((await sendBack(h, m.locator, { maxReconsumeTimes: 2 })).code, R.SUCCESS);
    const [dead] = await h.stored('%DLQ%G');
    assert.equal(dead!.reconsumeTimes, 3);
    assert.deepEqual([dead!.properties.get('DELAY'), dead!.properties.get('RETRY_TOPIC')], ['0', 'T']);
    assert.equal(h.store.getTopic('%DLQ%G')?.writeQueueNums, 1);
    assert.equal(h.store.getTopic('%RETRY%G'), undefined, 'only the topic the message goes to is made');
    for (let q = 0; q < 18; q++) assert.equal((await h.stored(SCHEDULE_TOPIC, q)).length, 0, `nothing waits at level ${q + 1}`);
  });
});
test.todo('Apache makes %RETRY%group before it looks the message up or decides on the dead-letter topic (SendMessageProcessor.java:146-157 at 4.9.4, AbstractSendMessageProcessor.java:132-149 at 5.3.3) — ours makes only the topic the message goes to, and none for an offset that holds no message');

test('without maxReconsumeTimes the limit is Apache\'s default of 16', async () => {
  await withProcessors(async (h) => {
    const fifteen = await consumed(h, { reconsumeTimes: 15 });
    const sixteen = await consumed(h, { reconsumeTimes: 16 });
    await sendBack(h, fifteen.locator);
    await sendBack(h, sixteen.locator);
    assert.deepEqual((await h.stored('%DLQ%G')).map((m) => m.reconsumeTimes), [17]);
    assert.equal((await h.stored(SCHEDULE_TOPIC, 17))[0]?.properties.get('DELAY'), '18', 'the 15th retry waits the last level');
  });
});

test('delay level -1 sends the message to %DLQ%group at once, on its first failure', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    assert.equal((await sendBack(h, m.locator, { delayLevel: -1 })).code, R.SUCCESS);
    const [dead] = await h.stored('%DLQ%G');
    assert.equal(dead!.reconsumeTimes, 1);
    assert.equal(dead!.body.toString(), 'payload');
  });
});

test('an offset that holds no message is SYSTEM_ERROR, as Apache answers a failed look-up, and nothing is stored', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    for (const offset of [m.locator + 1n, 0x7fff_0000_0000_0000n, -1n]) {
      const res = await sendBack(h, offset);
      assert.equal(res.code, R.SYSTEM_ERROR, String(offset));
      assert.match(res.remark ?? '', /no message at offset/);
    }
    assert.equal(h.store.getTopic('%RETRY%G'), undefined);
  });
});

test('a group never heard of is taken, its retry topic made, as Apache\'s default autoCreateSubscriptionGroup does', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    assert.equal((await sendBack(h, m.locator, { group: 'NewGroup' })).code, R.SUCCESS);
    assert.ok(h.store.getTopic('%RETRY%NewGroup'));
  });
});

test('a group name that no topic can be made of is INVALID_PARAMETER', async () => {
  await withProcessors(async (h) => {
    const m = await consumed(h);
    const res = await sendBack(h, m.locator, { group: 'bad group' });
    assert.equal(res.code, R.INVALID_PARAMETER);
    assert.match(res.remark ?? '', /%RETRY%bad group/);
  });
});
test.todo('Apache 5.x answers a send-back for an illegal group name SUBSCRIPTION_GROUP_NOT_EXIST, since no group is auto-created for it (SubscriptionGroupManager.java:263-266 with AbstractSendMessageProcessor.java:110-116 at 5.3.3) — ours INVALID_PARAMETER, refusing the retry topic\'s name');

test('a group\'s declared retryQueueNums does not change where a message given back goes; the header\'s maxReconsumeTimes wins over its retryMaxTimes', async () => {
  await withProcessors(async (h) => {
    await h.store.putSubscriptionGroup({
      groupName: 'G', consumeEnable: true, consumeFromMinEnable: true, consumeBroadcastEnable: true, consumeMessageOrderly: false, retryQueueNums: 0,
      retryMaxTimes: 1, brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true, groupSysFlag: 0, consumeTimeoutMinute: 15, attributes: {},
    });
    const m = await consumed(h, { reconsumeTimes: 1 });
    assert.equal((await sendBack(h, m.locator, { maxReconsumeTimes: 16 })).code, R.SUCCESS);
    assert.equal((await h.stored(SCHEDULE_TOPIC, 3)).length, 1, 'retried at level 4, not dead');
  });
});

// As Apache (SendMessageProcessor.java:184 at 4.9.4, AbstractSendMessageProcessor.java:173 at 5.3.3).
test('without maxReconsumeTimes in the header, the group\'s declared retryMaxTimes decides when a message is dead', async () => {
  await withProcessors(async (h) => {
    await h.store.putSubscriptionGroup({
      groupName: 'G', consumeEnable: true, consumeFromMinEnable: true, consumeBroadcastEnable: true, consumeMessageOrderly: false, retryQueueNums: 1,
      retryMaxTimes: 1, brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true, groupSysFlag: 0, consumeTimeoutMinute: 15, attributes: {},
    });
    const m = await consumed(h, { reconsumeTimes: 1 });
    assert.equal((await sendBack(h, m.locator)).code, R.SUCCESS);
    assert.equal((await h.stored('%DLQ%G')).length, 1);
  });
});
test.todo('Apache answers SUCCESS and stores nothing when the group\'s retryQueueNums is 0 (SendMessageProcessor.java:141-145 at 4.9.4, AbstractSendMessageProcessor.java:126-130 at 5.3.3) — ours retries the message');

test('a header without the group, or with an offset that is not an integer, is INVALID_PARAMETER naming the field', async () => {
  await withProcessors(async (h) => {
    const noGroup = await h.invoke(RequestCode.CONSUMER_SEND_MSG_BACK, { offset: 1 });
    assert.equal(noGroup.code, R.INVALID_PARAMETER);
    assert.match(noGroup.remark ?? '', /group is required/);
    const badOffset = await sendBack(h, 'abc');
    assert.equal(badOffset.code, R.INVALID_PARAMETER);
    assert.match(badOffset.remark ?? '', /offset must be an integer/);
  });
});
