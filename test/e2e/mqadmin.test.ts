import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, testBrokerNames } from '../support/gateway.js';
import { mqadmin as run, mqadminOk, rows, brokerRows, queueKey, queueKeys } from '../support/mqadmin.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { ALI_ONS_INTERVAL_MS, aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer, type AliProducer, type AliSendResult } from '../support/ali-ons.js';

// Apache RocketMQ's own admin tool (rocketmq-tools 5.5.0, run by scripts/mqadmin.mjs) against a gateway: each
// command's printed output is checked against what the test itself sent and consumed.
const TOPIC = 'MqadminTopic';
const GROUP = 'MqadminGroup';
const PRODUCER_GROUP = 'MqadminProducer';
const QUEUES = 4;
const FIRST_BATCH = 40;
const SECOND_BATCH = 13;
const mqadmin = (namesrv: string, ...args: string[]): Promise<string> => run(namesrv, args);
const ok = (namesrv: string, ...args: string[]): Promise<string> => mqadminOk(namesrv, args);

/** Every queue of the topic as `<broker>/<queueId>`, in the order mqadmin prints them (one broker, or one per worker). */
const QUEUE_KEYS = queueKeys(QUEUES);

/** How many of the sends went to each queue, in QUEUE_KEYS order. */
const perQueue = (keys: string[]): number[] => QUEUE_KEYS.map((k) => keys.filter((x) => x === k).length);

interface ProgressRow { queue: string; brokerOffset: number; consumerOffset: number; diff: number }

/** consumerProgress -g: the topic's rows and the diff total. */
async function progress(namesrv: string): Promise<{ rows: ProgressRow[]; diffTotal: number }> {
  const out = await ok(namesrv, 'consumerProgress', '-g', GROUP);
  const total = /Consume Diff Total: (\d+)/.exec(out);
  assert.ok(total, `no diff total in:\n${out}`);
  return {
    rows: rows(out, TOPIC).map((c) => ({ queue: queueKey(c[1], c[2]), brokerOffset: Number(c[3]), consumerOffset: Number(c[4]), diff: Number(c[5]) })),
    diffTotal: Number(total[1]),
  };
}

test('Apache RocketMQ mqadmin: cluster, topics, groups, lag, messages, offset resets and subscription groups', { timeout: 300_000 }, async (t) => {
  const gw = await startGateway({ args: ['--default-queues', String(QUEUES)] });
  const clientDir = mkdtempSync(join(tmpdir(), 'rop-mqadmin-'));
  let producer: AliProducer | undefined;
  let consumer: JavaHarness | undefined;
  t.after(async () => {
    await consumer?.stop();
    await closeAli(producer);
    await closeAliOnsInnerProducer();
    await gw.stop();
    gw.cleanup();
    rmSync(clientDir, { recursive: true, force: true });
  });
  const ns = gw.address;
  const startConsumer = (): JavaHarness =>
    // A short rebalance interval, so queues an offset reset takes away come back at once.
    JavaHarness.start('push-consume', { namesrv: ns, topic: TOPIC, group: GROUP, 'timeout-ms': 240_000 }, ['-Drocketmq.client.rebalance.waitInterval=1000']);

  const beforeFirstBatch = Date.now() - 1000;
  const sent = (await JavaHarness.run('produce', { namesrv: ns, topic: TOPIC, count: FIRST_BATCH, mode: 'sync' })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, FIRST_BATCH);
  const firstCounts = perQueue(sent.map((e) => queueKey(e.broker, e.queueId)));
  consumer = startConsumer();
  await consumer.waitFor((e) => deliveries(e).length >= FIRST_BATCH, 60_000, `${FIRST_BATCH} deliveries`);

  await t.test('clusterList and brokerStatus show the gateway\'s brokers', async () => {
    const cluster = await ok(ns, 'clusterList');
    // The gateway's own broker (worker 0's with --workers) answers at its address; any others at theirs.
    assert.match(cluster, new RegExp(`DefaultCluster\\s+${testBrokerNames[0]}\\s+0\\s+${gw.address.replace(/\./g, '\\.')}\\s+V4_9_4`));
    assert.deepEqual(rows(cluster, 'DefaultCluster').map((r) => r[1]), testBrokerNames);
    const status = await ok(ns, 'brokerStatus', '-b', gw.address);
    assert.match(status, /brokerVersionDesc\s*: V4_9_4/);
    assert.match(status, /brokerActive\s*: true/);
    // The messages the broker took so far, and at least as many handed to the consumer, with rates over three windows.
    const putHere = sent.filter((e) => e.broker === testBrokerNames[0]).length;
    assert.match(status, new RegExp(`msgPutTotalTodayNow\\s*: ${putHere}\\b`));
    assert.ok(Number(/msgGetTotalTodayNow\s*: (\d+)/.exec(status)?.[1]) >= putHere, status);
    assert.match(status, /putTps\s*: \d+\.\d\d \d+\.\d\d \d+\.\d\d/);
    const totals = rows(await ok(ns, 'clusterList', '-m'), 'DefaultCluster');
    assert.equal(totals.length, testBrokerNames.length, 'clusterList -m has a row for each broker');
    assert.equal(totals.reduce((sum, r) => sum + Number(r[4]), 0), FIRST_BATCH, `InTotalToday: ${totals.map((r) => r.join(' ')).join('; ')}`);
  });

  await t.test('topicList and topicRoute show the topic', async () => {
    assert.ok((await ok(ns, 'topicList')).split('\n').includes(TOPIC));
    const route = await ok(ns, 'topicRoute', '-t', TOPIC);
    assert.match(route, /"readQueueNums":4/);
    assert.ok(route.includes(gw.address));
  });

  await t.test('consumerConnection shows the online Java consumer and its subscription', async () => {
    const out = await ok(ns, 'consumerConnection', '-g', GROUP);
    assert.match(out, /\S+@\S+\s+127\.0\.0\.1:\d+\s+JAVA\s+V4_9_\d/);
    assert.match(out, new RegExp(`\\n${TOPIC}\\s+\\*`));
    assert.match(out, /ConsumeType: CONSUME_PASSIVELY/);
    assert.match(out, /MessageModel: CLUSTERING/);
    assert.match(out, /ConsumeFromWhere: CONSUME_FROM_FIRST_OFFSET/);
  });

  // Everything sent so far is consumed and committed (the consumer commits as it stops); what ali-ons sends next is the lag.
  await new Promise((r) => setTimeout(r, 1000));
  await consumer.stop();
  consumer = undefined;
  const beforeSecondBatch = Date.now();
  producer = aliProducer(ns, clientDir, { producerGroup: PRODUCER_GROUP, instanceName: 'mqadmin-producer' });
  await producer.ready();
  const secondQueues: string[] = [];
  for (let i = 0; i < SECOND_BATCH; i++) {
    const r: AliSendResult = await producer.send(aliMessage(TOPIC, 'TagB', `second-${i}`, [`second-key-${i}`]));
    assert.equal(r.sendStatus, 'SEND_OK');
    secondQueues.push(queueKey(r.messageQueue.brokerName, r.messageQueue.queueId));
  }
  const secondCounts = perQueue(secondQueues);
  // ali-ons heartbeats (naming its producer group) only to brokers it has routes to, so the next beats count.
  await new Promise((r) => setTimeout(r, 2.5 * ALI_ONS_INTERVAL_MS));
  const totals = firstCounts.map((n, q) => n + secondCounts[q]!);

  await t.test('producerConnection shows the online ali-ons producer', async () => {
    const out = await ok(ns, 'producerConnection', '-g', PRODUCER_GROUP, '-t', TOPIC);
    assert.match(out, /0001\s+\S+\s+127\.0\.0\.1:\d+\s+\w+\s+V\d/);
  });

  await t.test('consumerProgress shows each queue\'s exact lag and the diff total', async () => {
    const p = await progress(ns);
    assert.deepEqual(p.rows, totals.map((n, k) => ({ queue: QUEUE_KEYS[k]!, brokerOffset: n, consumerOffset: firstCounts[k]!, diff: secondCounts[k]! })));
    assert.equal(p.diffTotal, SECOND_BATCH);
    const groups = await ok(ns, 'consumerProgress');
    assert.match(groups, new RegExp(`${GROUP}\\s+0\\s+OFFLINE\\s+0\\s+${SECOND_BATCH}`));
  });

  await t.test('topicStatus shows each queue\'s exact min and max offsets', async () => {
    const out = await ok(ns, 'topicStatus', '-t', TOPIC);
    assert.deepEqual(brokerRows(out).map((c) => [queueKey(c[0], c[1]), Number(c[2]), Number(c[3])]), totals.map((n, k) => [QUEUE_KEYS[k], 0, n]));
  });

  const seventh = sent.find((e) => e.i === 7) as HarnessEvent;
  await t.test('queryMsgByKey, queryMsgByUniqueKey and queryMsgById find a sent message', async () => {
    const byKey = await ok(ns, 'queryMsgByKey', '-t', TOPIC, '-k', 'key-7');
    assert.match(byKey, new RegExp(`${String(seventh.msgId)}\\s+${String(seventh.queueId)}\\s+${String(seventh.queueOffset)}\\b`));
    const byUniqueKey = await ok(ns, 'queryMsgByUniqueKey', '-t', TOPIC, '-i', String(seventh.msgId));
    assert.match(byUniqueKey, /Keys:\s+\[key-7 k2-7\]/);
    assert.match(byUniqueKey, new RegExp(`Queue Offset:\\s+${String(seventh.queueOffset)}\\n`));
    const byId = await mqadmin(ns, 'queryMsgById', '-t', TOPIC, '-i', String(seventh.offsetMsgId));
    assert.match(byId, new RegExp(`OffsetID:\\s+${String(seventh.offsetMsgId)}`));
    assert.match(byId, new RegExp(`Queue ID:\\s+${String(seventh.queueId)}\\n`));
    assert.match(byId, /Properties:.*idx=7/);
    // The group is offline now, which the message's track reports; no request of queryMsgById failed.
    assert.match(byId, new RegExp(`MessageTrack \\[consumerGroup=${GROUP}, trackType=NOT_ONLINE`));
    assert.doesNotMatch(byId, /Exception/);
  });

  await t.test('resetOffsetByTime moves an offline group\'s offsets, and consumerProgress shows the new lag', async () => {
    const back = await ok(ns, 'resetOffsetByTime', '-g', GROUP, '-t', TOPIC, '-s', String(beforeFirstBatch));
    assert.deepEqual(brokerRows(back).map((c) => [queueKey(c[0], c[1]), Number(c[2])]).sort(), QUEUE_KEYS.map((k) => [k, 0]));
    assert.equal((await progress(ns)).diffTotal, FIRST_BATCH + SECOND_BATCH);
    await ok(ns, 'resetOffsetByTime', '-g', GROUP, '-t', TOPIC, '-s', String(beforeSecondBatch));
    const p = await progress(ns);
    assert.deepEqual(p.rows.map((r) => r.consumerOffset), firstCounts);
    assert.equal(p.diffTotal, SECOND_BATCH);
  });

  await t.test('resetOffsetByTime on an online Java consumer makes it consume again from the new offsets', async () => {
    const c = (consumer = startConsumer());
    await c.waitFor((e) => deliveries(e).length >= SECOND_BATCH, 60_000, `the ${SECOND_BATCH} unconsumed messages`);
    const before = deliveries(c.events).length;
    await ok(ns, 'resetOffsetByTime', '-g', GROUP, '-t', TOPIC, '-s', String(beforeFirstBatch));
    await c.waitFor((e) => deliveries(e).length >= before + FIRST_BATCH + SECOND_BATCH, 60_000, 'every message again after the reset');
    const again = deliveries(c.events).slice(before).filter((m) => m.topic === TOPIC);
    assert.equal(new Set(again.map((m) => `${queueKey(m.broker, m.queueId)}:${String(m.queueOffset)}`)).size, FIRST_BATCH + SECOND_BATCH, 'each message once more');
    await new Promise((r) => setTimeout(r, 1000));
    await c.stop();
    consumer = undefined;
    assert.equal((await progress(ns)).diffTotal, 0);
  });

  await t.test('updateTopic creates and resizes a topic; deleteTopic removes it', async () => {
    const topic = 'MqadminScratch';
    assert.match(await ok(ns, 'updateTopic', '-t', topic, '-c', 'DefaultCluster', '-r', '2', '-w', '2'), /create topic to .* success/);
    assert.equal(brokerRows(await ok(ns, 'topicStatus', '-t', topic)).length, 2 * testBrokerNames.length);
    await ok(ns, 'updateTopic', '-t', topic, '-c', 'DefaultCluster', '-r', '6', '-w', '6');
    assert.equal(brokerRows(await ok(ns, 'topicStatus', '-t', topic)).length, 6 * testBrokerNames.length);
    assert.match(await ok(ns, 'deleteTopic', '-t', topic, '-c', 'DefaultCluster'), new RegExp(`delete topic \\[${topic}\\] from NameServer success`));
    const topics = (await ok(ns, 'topicList')).split('\n');
    assert.ok(!topics.includes(topic), 'deleted');
    assert.ok(topics.includes(TOPIC), 'other topics stay');
  });

  await t.test('updateSubGroup declares a group that getConsumerConfig reads back; deleteSubGroup removes it', async () => {
    const group = 'MqadminDeclared';
    assert.match(await ok(ns, 'updateSubGroup', '-g', group, '-c', 'DefaultCluster', '-r', '5', '-o', 'true'), /create subscription group to .* success/);
    const declared = await ok(ns, 'getConsumerConfig', '-g', group);
    assert.match(declared, new RegExp(`groupName\\s+=\\s+${group}\\n`));
    assert.match(declared, /retryMaxTimes\s+=\s+5\n/);
    assert.match(declared, /consumeMessageOrderly\s+=\s+true\n/);
    assert.match(await ok(ns, 'deleteSubGroup', '-g', group, '-c', 'DefaultCluster'), /delete subscription group .* success/);
    assert.doesNotMatch(await ok(ns, 'getConsumerConfig', '-g', group), /groupName/);
  });

  await t.test('a request the gateway refuses on purpose is answered with a remark naming the code and why', async () => {
    const out = await mqadmin(ns, 'listUser', '-b', gw.address);
    assert.match(out, /CODE: 3\s+DESC: request code 3005 \(AUTH_LIST_USER\) is not supported by this gateway: the gateway has no authentication/);
  });
});

test('with auto-creation off, mqadmin updateTopic -c <cluster> creates the topic and no topic is named after the cluster', { timeout: 120_000 }, async (t) => {
  const gw = await startGateway({ args: ['--no-auto-create-topics'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  assert.match(await ok(gw.address, 'updateTopic', '-c', 'DefaultCluster', '-t', 'ClusterCreated', '-r', '2', '-w', '2'), /create topic to .* success/);
  const listed = (await ok(gw.address, 'topicList')).split('\n').map((l) => l.trim());
  assert.ok(listed.includes('ClusterCreated'), `created: ${listed.join(',')}`);
  assert.ok(!listed.includes('DefaultCluster') && !testBrokerNames.some((b) => listed.includes(b)), `no cluster- or broker-named topic: ${listed.join(',')}`);
  const route = await ok(gw.address, 'topicRoute', '-t', 'DefaultCluster');
  for (const broker of testBrokerNames) assert.match(route, new RegExp(`"brokerName"\\s*:\\s*"${broker}"`));
});
