import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startGateway, testBrokerNames, testStore } from '../support/gateway.js';
import { mqadmin, mqadminOk, rows, brokerRows, queueKey, queueKeys } from '../support/mqadmin.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { ObjectKeyMap, parseFastjson } from '../../src/protocol/fastjson.js';
import { tagsHashCode } from '../../src/protocol/message-properties.js';
import { DEFAULT_DELAY_LEVELS } from '../../src/broker/delay-levels.js';

// Apache RocketMQ's mqadmin (rocketmq-tools 5.5.0) against a gateway, for what Apache's broker does beyond topics and
// groups: calls through the broker to a live Java push consumer (GET_CONSUMER_RUNNING_INFO, CONSUME_MESSAGE_DIRECTLY,
// GET_CONSUMER_STATUS_FROM_CLIENT), the broker's settings read and changed, and the broker-wide statistics. Codes no
// mqadmin command sends (DefaultMQAdminExt's) are asked over the wire with a remoting probe.
const TOPIC = 'BrokerAdminTopic';
const GROUP = 'BrokerAdminGroup';
const COUNT = 20;
const QUEUES = 4;
const TAGS = ['TagA', 'TagB'];
/** The gateway's own broker: the one at its address (worker 0's with --workers). */
const HERE = testBrokerNames[0]!;
/** Every queue of the topic as `<broker>/<queueId>`, in the order mqadmin prints them (one broker, or one per worker). */
const QUEUE_KEYS = queueKeys(QUEUES);

/** `key  =  value` lines of getBrokerConfig / getNamesrvConfig. */
const settingsOf = (out: string): Map<string, string> =>
  new Map(out.split('\n').map((l) => /^(\S+)\s+=  (.*)$/.exec(l)).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));

/** The locator an offsetMsgId carries, which Apache calls the message's physical (commit log) offset. */
const locatorOf = (offsetMsgId: string): bigint => BigInt(`0x${offsetMsgId.slice(16)}`);

test('Apache RocketMQ mqadmin: calls to live consumers, broker config, broker-wide stats', { timeout: 420_000 }, async (t) => {
  const gw = await startGateway({ args: ['--default-queues', String(QUEUES)] });
  const scratch = mkdtempSync(join(tmpdir(), 'rop-mqadmin-broker-'));
  const probe = await RemotingProbe.connect(gw.address);
  let consumer: JavaHarness | undefined;
  t.after(async () => {
    probe.close();
    await consumer?.stop();
    await gw.stop();
    gw.cleanup();
    rmSync(scratch, { recursive: true, force: true });
  });
  const ns = gw.address;
  const ok = (...args: string[]): Promise<string> => mqadminOk(ns, args);

  const sent = (await JavaHarness.run('produce', { namesrv: ns, topic: TOPIC, count: COUNT, mode: 'sync', tags: TAGS.join(',') })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, COUNT);
  consumer = JavaHarness.start('push-consume', { namesrv: ns, topic: TOPIC, group: GROUP, 'timeout-ms': 400_000 });
  const live = consumer;
  await live.waitFor((e) => deliveries(e).length >= COUNT, 60_000, `${COUNT} deliveries`);
  const clientId = String(gw.logs.find((l) => l.msg === 'consumer joined group' && l.group === GROUP)?.clientId);
  /** How many messages each queue took, in QUEUE_KEYS order. */
  const perQueue = QUEUE_KEYS.map((k) => sent.filter((e) => queueKey(e.broker, e.queueId) === k).length);
  const sentHere = (queueId: number): HarnessEvent[] => sent.filter((e) => e.broker === HERE && e.queueId === queueId);

  await t.test('consumerStatus shows the running info the live Java consumer reports through the gateway', async () => {
    const info = await ok('consumerStatus', '-g', GROUP, '-i', clientId);
    assert.match(info, /#Consumer Properties#/);
    assert.match(info, new RegExp(`consumerGroup\\s+: ${GROUP}\\n`));
    assert.match(info, /PROP_CLIENT_VERSION\s+: V4_9_8\n/);
    assert.match(info, new RegExp(`Topic: ${TOPIC}\\s+ClassFilter: false\\s+SubExpression: \\*`));
    const offsets = rows(info, TOPIC).filter((r) => r.length === 4);
    assert.deepEqual(offsets.map((r) => [queueKey(r[1], r[2]), Number(r[3])]).sort(), QUEUE_KEYS.map((k, i) => [k, perQueue[i]]), `the consumer's offset of each queue:\n${info}`);
    // Without -i it asks every member and writes each one's info to a file under the working directory.
    const all = await mqadminOk(ns, ['consumerStatus', '-g', GROUP], scratch);
    const row = rows(all, '1')[0];
    assert.deepEqual(row?.slice(1, 3), [clientId, 'V4_9_8'], all);
    assert.match(all, /Rebalance OK/);
    assert.match(readFileSync(join(scratch, row![3]!), 'utf8'), new RegExp(`#Consumer Subscription#[\\s\\S]*${TOPIC}`));
  });

  await t.test('consumerProgress -s shows where each queue is consumed, from the running info', async () => {
    const out = await ok('consumerProgress', '-g', GROUP, '-s', 'true');
    const topicRows = rows(out, TOPIC);
    assert.equal(topicRows.length, QUEUE_KEYS.length, out);
    for (const r of topicRows) assert.notEqual(r[5], 'N/A', `a client IP for queue ${r[2]}:\n${out}`);
  });

  await t.test('a client that is not online gets Apache\'s code and remark', async () => {
    const out = await mqadmin(ns, ['consumerStatus', '-g', GROUP, '-i', 'nobody@nowhere']);
    assert.match(out, new RegExp(`CODE: 1\\s+DESC: The Consumer <${GROUP}> <nobody@nowhere> not online`));
  });

  await t.test('queryMsgById -g -d has the live consumer consume a stored message again (CONSUME_MESSAGE_DIRECTLY)', async () => {
    const target = sent.find((e) => e.i === 3) as HarnessEvent;
    const before = deliveries(live.events).filter((m) => (m.props as Record<string, string>).idx === '3').length;
    const out = await ok('queryMsgById', '-t', TOPIC, '-i', String(target.offsetMsgId), '-g', GROUP, '-d', clientId);
    assert.match(out, /ConsumeMessageDirectlyResult \[order=false, autoCommit=true, consumeResult=CR_SUCCESS, remark=null/);
    await live.waitFor((e) => deliveries(e).filter((m) => (m.props as Record<string, string>).idx === '3').length > before, 10_000, 'message 3 consumed again');
    const again = deliveries(live.events).filter((m) => (m.props as Record<string, string>).idx === '3').at(-1)!;
    assert.equal(again.offsetMsgId, target.offsetMsgId);
    assert.equal(again.queueOffset, target.queueOffset);
  });

  await t.test('a consumer that does not answer is reported within the admin tool\'s wait, as Apache reports it', async () => {
    const silent = await RemotingProbe.connect(gw.address);
    try {
      const heartbeat = { clientID: 'silent@probe', producerDataSet: [], consumerDataSet: [{ groupName: 'SilentGroup', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', subscriptionDataSet: [{ topic: TOPIC, subString: '*' }] }] };
      assert.equal((await silent.invoke(34, {}, Buffer.from(JSON.stringify(heartbeat)))).code, 0);
      const started = Date.now();
      const r = await probe.invoke(307, { consumerGroup: 'SilentGroup', clientId: 'silent@probe', jstackEnable: 'false' });
      const waited = Date.now() - started;
      assert.equal(r.code, 207, r.remark);
      assert.match(r.remark ?? '', /consumer <SilentGroup> <silent@probe> Timeout/);
      assert.ok(waited >= 3500 && waited < 5000, `answered after ${waited} ms, before mqadmin's 5 s`);
    } finally {
      silent.close();
    }
  });

  await t.test('INVOKE_BROKER_TO_GET_CONSUMER_STATUS gathers each member\'s offsets from the member itself', async () => {
    const r = await probe.invoke(223, { topic: TOPIC, group: GROUP });
    assert.equal(r.code, 0, r.remark);
    const body = parseFastjson(r.body!.toString()) as { consumerTable: Record<string, ObjectKeyMap> };
    const table = body.consumerTable[clientId];
    assert.ok(table instanceof ObjectKeyMap, r.body!.toString());
    // The member reports its offsets of every queue of the topic, on whichever broker.
    assert.deepEqual(table.entries.map(([mq]) => queueKey((mq as { brokerName: string }).brokerName, (mq as { queueId: number }).queueId)).sort(), QUEUE_KEYS);
    assert.equal(table.entries.reduce((sum, [, offset]) => sum + Number(offset), 0), COUNT, 'the consumer holds every message as consumed');
    const offline = await probe.invoke(223, { topic: TOPIC, group: 'NobodyGroup' });
    assert.equal(offline.code, 1);
    assert.match(offline.remark ?? '', /No Any Consumer online in the consumer group: \[NobodyGroup\]/);
  });

  await t.test('queryCq shows a queue\'s entries (offsetMsgId locators, tag hash codes) and the group\'s subscription', async () => {
    const out = await ok('queryCq', '-t', TOPIC, '-q', '0', '-i', '1', '-c', '3', '-g', GROUP, '-b', ns);
    assert.match(out, new RegExp(`"topic":"${TOPIC}"`));
    assert.match(out, new RegExp(`max: ${sentHere(0).length}, min: 0`));
    const entries = [...out.matchAll(/idx: (\d+)\nConsumeQueueData\{physicOffset=(\d+), physicSize=(\d+), tagsCode=(-?\d+)/g)];
    assert.deepEqual(entries.map((m) => Number(m[1])), [1, 2, 3].filter((i) => i < sentHere(0).length));
    for (const [, idx, physicOffset, size, tagsCode] of entries) {
      const message = sentHere(0).find((e) => e.queueOffset === Number(idx)) as HarnessEvent;
      assert.equal(BigInt(physicOffset!), locatorOf(String(message.offsetMsgId)));
      assert.equal(Number(tagsCode), tagsHashCode(TAGS[Number(message.i) % TAGS.length]!));
      assert.ok(Number(size) > 100);
    }
  });

  await t.test('consumeMessage pulls a queue\'s messages through the gateway and prints each', async () => {
    const out = await ok('consumeMessage', '-t', TOPIC, '-b', HERE, '-i', '0', '-o', '0', '-c', String(sentHere(0).length));
    assert.match(out, /Consume ok/);
    const printed = [...out.matchAll(/MSGID: (\S+)/g)].map((m) => m[1]).sort();
    assert.deepEqual(printed, sentHere(0).map((e) => String(e.msgId)).sort());
  });

  await t.test('producer lists online producers by group', async () => {
    const out = await ok('producer', '-b', ns);
    assert.match(out, new RegExp(`producer group \\(CLIENT_INNER_PRODUCER\\) instance : clientId=${clientId.replace(/\./g, '\\.')},remoteIP=127\\.0\\.0\\.1:\\d+, language=JAVA, version=\\d+`));
  });

  await t.test('getBrokerConfig and getNamesrvConfig show the effective settings under Apache\'s names', async () => {
    const settings = settingsOf(await ok('getBrokerConfig', '-b', ns));
    const expected: Record<string, string> = {
      brokerClusterName: 'DefaultCluster',
      brokerName: HERE,
      brokerId: '0',
      listenPort: String(gw.port),
      namesrvAddr: ns,
      brokerIP1: '127.0.0.1',
      autoCreateTopicEnable: 'true',
      defaultTopicQueueNums: String(QUEUES),
      enablePropertyFilter: 'true',
      messageDelayLevel: DEFAULT_DELAY_LEVELS,
      transactionCheckInterval: '60000',
      transactionTimeOut: '6000',
      transactionCheckMax: '15',
      fileReservedTime: '72',
      maxMessageSize: String(4 * 1024 * 1024),
      store: testStore,
      ...(testStore === 'embedded' ? { flushDiskType: 'ASYNC_FLUSH', storePathRootDir: resolve(gw.dataDir) } : { brokerRole: 'SYNC_MASTER' }),
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(settings.get(key), value, key);
    assert.deepEqual(settingsOf(await ok('getNamesrvConfig')), settings, 'one process, one configuration');
  });

  await t.test('updateBrokerConfig changes what can change while the gateway runs, and it takes effect', async () => {
    assert.match(await ok('updateBrokerConfig', '-b', ns, '-k', 'defaultTopicQueueNums', '-v', '2'), /update broker config success/);
    assert.equal(settingsOf(await ok('getBrokerConfig', '-b', ns)).get('defaultTopicQueueNums'), '2');
    const logged = gw.logs.find((l) => l.msg === 'broker config updated' && l.key === 'defaultTopicQueueNums');
    assert.deepEqual([logged?.from, logged?.to], ['4', '2']);
    assert.match(await ok('sendMessage', '-t', 'AutoCreatedTwo', '-p', 'hello'), /SEND_OK/);
    assert.equal(brokerRows(await ok('topicStatus', '-t', 'AutoCreatedTwo')).length, 2 * testBrokerNames.length, 'auto-created with 2 queues per broker');

    await ok('updateBrokerConfig', '-b', ns, '-k', 'autoCreateTopicEnable', '-v', 'false');
    assert.doesNotMatch(await mqadmin(ns, ['sendMessage', '-t', 'NotCreated', '-p', 'hello']), /SEND_OK/);
    await ok('updateBrokerConfig', '-b', ns, '-k', 'autoCreateTopicEnable', '-v', 'true');
    assert.match(await ok('sendMessage', '-t', 'NotCreated', '-p', 'hello'), /SEND_OK/);

    await ok('updateBrokerConfig', '-c', 'DefaultCluster', '-k', 'transactionCheckMax', '-v', '3');
    assert.equal(settingsOf(await ok('getBrokerConfig', '-b', ns)).get('transactionCheckMax'), '3');
  });

  await t.test('updateBrokerConfig refuses settings fixed at start and bad values by name, and applies nothing', async () => {
    assert.match(await mqadmin(ns, ['updateBrokerConfig', '-b', ns, '-k', 'brokerName', '-v', 'other']),
      /CODE: 16\s+DESC: cannot update config: brokerName cannot change while the gateway runs \(set it with --broker-name and restart\); nothing was changed/);
    assert.match(await mqadmin(ns, ['updateBrokerConfig', '-b', ns, '-k', 'defaultTopicQueueNums', '-v', '0']),
      /CODE: 29\s+DESC: cannot update config: defaultTopicQueueNums: expected a number from 1 to 1024, got 0/);
    assert.match(await mqadmin(ns, ['updateBrokerConfig', '-b', ns, '-k', 'enablePropertyFilter', '-v', 'yes']), /CODE: 29\s+DESC: .*expected true or false/);
    assert.match(await mqadmin(ns, ['updateBrokerConfig', '-b', ns, '-k', 'noSuchSetting', '-v', '1']), /CODE: 16\s+DESC: .*noSuchSetting is not a setting of this gateway/);
    // A request naming a changeable and a fixed setting changes neither.
    const both = await probe.invoke(25, {}, Buffer.from('defaultTopicQueueNums=3\nlistenPort=1\n'));
    assert.equal(both.code, 16);
    assert.match(both.remark ?? '', /listenPort cannot change/);
    const settings = settingsOf(await ok('getBrokerConfig', '-b', ns));
    assert.equal(settings.get('defaultTopicQueueNums'), '2');
    assert.equal(settings.get('enablePropertyFilter'), 'true');
    assert.equal(settings.get('brokerName'), HERE);
  });

  // The consumer commits its offsets as it stops; what follows reads committed offsets.
  await new Promise((r) => setTimeout(r, 1000));
  await live.stop();
  consumer = undefined;

  await t.test('brokerConsumeStats shows every group\'s progress on the broker', async () => {
    const out = await ok('brokerConsumeStats', '-b', ns);
    // The broker at ns reports its own queues.
    const topicRows = rows(out, TOPIC).map((c) => [c[1], c[3], c[4], c[5], c[6]]);
    assert.deepEqual(topicRows, [0, 1, 2, 3].map((q) => [GROUP, String(q), String(sentHere(q).length), String(sentHere(q).length), '0']), out);
    assert.match(out, /Diff Total: 0\n/);
  });

  await t.test('statsAll shows each topic\'s messages in and out over the last day, per group', async () => {
    const row = rows(await ok('statsAll', '-t', TOPIC), TOPIC)[0];
    assert.ok(row, 'a row for the topic');
    assert.equal(row[1], GROUP);
    assert.equal(Number(row[2]), 0, 'no accumulation');
    // The rates are over the last minute, which may have passed since the messages went through.
    assert.match(`${row[3]} ${row[4]}`, /^\d+\.\d\d \d+\.\d\d$/, 'in and out rates');
    assert.equal(Number(row[5]), COUNT, 'in over 24 h');
    assert.ok(Number(row[6]) >= COUNT, `out over 24 h: ${row.join(' ')}`);
    const unknown = await probe.invoke(315, { statsName: 'TOPIC_PUT_NUMS', statsKey: 'NoSuchTopic' });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.remark, 'The stats <TOPIC_PUT_NUMS> <NoSuchTopic> not exist');
  });

  await t.test('cloneGroupOffset copies a group\'s offsets (mqadmin by offset updates, DefaultMQAdminExt by CLONE_GROUP_OFFSET)', async () => {
    assert.match(await ok('cloneGroupOffset', '-s', GROUP, '-d', 'ClonedByMqadmin', '-t', TOPIC), /clone group offset success/);
    assert.deepEqual(rows(await ok('consumerProgress', '-g', 'ClonedByMqadmin'), TOPIC).map((c) => Number(c[4])), perQueue);
    // CLONE_GROUP_OFFSET is a broker's: it copies the offsets the broker asked keeps.
    const r = await probe.invoke(314, { srcGroup: GROUP, destGroup: 'ClonedByCode', topic: TOPIC, offline: 'true' });
    assert.equal(r.code, 0, r.remark);
    for (let q = 0; q < QUEUES; q++) assert.equal(await probe.committedOffset('ClonedByCode', TOPIC, q), sentHere(q).length);
  });

  await t.test('QUERY_CONSUME_TIME_SPAN: store times per queue and how far behind a group is', async () => {
    type Span = { messageQueue: { queueId: number }; minTimeStamp: number; maxTimeStamp: number; consumeTimeStamp: number; delayTime: number };
    const spans = async (group: string): Promise<Span[]> => {
      const r = await probe.invoke(303, { topic: TOPIC, group });
      assert.equal(r.code, 0, r.remark);
      return (JSON.parse(r.body!.toString()) as { consumeTimeSpanSet: Span[] }).consumeTimeSpanSet;
    };
    const done = await spans(GROUP);
    assert.deepEqual(done.map((s) => s.messageQueue.queueId), [0, 1, 2, 3]);
    for (const s of done) {
      assert.ok(s.minTimeStamp > 0 && s.minTimeStamp <= s.maxTimeStamp, JSON.stringify(s));
      assert.equal(s.consumeTimeStamp, s.maxTimeStamp, 'consumed to the end');
      assert.equal(s.delayTime, 0);
    }
    for (const s of await spans('NeverConsumed')) {
      assert.equal(s.consumeTimeStamp, s.minTimeStamp);
      assert.ok(s.delayTime > 0, 'the first message waits');
    }
    assert.equal((await probe.invoke(303, { topic: 'NoSuchTopic', group: GROUP })).code, 17);
  });

  await t.test('topic lists by cluster and the system topic lists; exportMetadata leaves system topics out', async () => {
    const topicList = async (code: number, fields: Record<string, string>) => JSON.parse((await probe.invoke(code, fields)).body!.toString()) as { topicList: string[]; brokerAddr?: string };
    assert.ok((await topicList(224, { cluster: 'DefaultCluster' })).topicList.includes(TOPIC));
    assert.deepEqual((await topicList(224, { cluster: 'OtherCluster' })).topicList, []);
    assert.deepEqual(await topicList(304, {}), { topicList: ['DefaultCluster', ...testBrokerNames], brokerAddr: ns });
    const system = (await topicList(305, {})).topicList;
    for (const name of ['SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', 'RMQ_SYS_KEY_INDEX', 'TBW102']) assert.ok(system.includes(name), name);
    assert.match(await ok('topicClusterList', '-t', TOPIC), /^DefaultCluster$/m);
    const dir = join(scratch, 'export');
    assert.match(await ok('exportMetadata', '-c', 'DefaultCluster', '-f', dir), /export .*metadata\.json success/);
    const metadata = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8')) as { topicConfigTable: Record<string, { readQueueNums: number }>; subscriptionGroupTable: Record<string, unknown> };
    // Summed over the cluster's brokers, as Apache's exportMetadata sums them.
    assert.equal(metadata.topicConfigTable[TOPIC]?.readQueueNums, QUEUES * testBrokerNames.length);
    for (const name of ['SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_KEY_INDEX', `%RETRY%${GROUP}`]) assert.equal(metadata.topicConfigTable[name], undefined, name);
    assert.ok(GROUP in metadata.subscriptionGroupTable);
  });

  await t.test('updateTopicList and updateSubGroupList create topics and groups from a file', async () => {
    const topics = join(scratch, 'topics.json');
    writeFileSync(topics, JSON.stringify([{ topicName: 'ListedOne', readQueueNums: 3, writeQueueNums: 3, perm: 6 }, { topicName: 'ListedTwo', readQueueNums: 1, writeQueueNums: 1, perm: 6 }]));
    await ok('updateTopicList', '-b', ns, '-f', topics);
    assert.equal(brokerRows(await ok('topicStatus', '-t', 'ListedOne')).length, 3 * testBrokerNames.length);
    assert.equal(brokerRows(await ok('topicStatus', '-t', 'ListedTwo')).length, testBrokerNames.length);
    const groups = join(scratch, 'groups.json');
    writeFileSync(groups, JSON.stringify([{ groupName: 'ListedGroup', retryMaxTimes: 7 }]));
    await ok('updateSubGroupList', '-b', ns, '-f', groups);
    assert.match(await ok('getConsumerConfig', '-g', 'ListedGroup'), /retryMaxTimes\s+=\s+7\n/);
  });

  await t.test('exportConfigs and exportMetrics read the broker config, runtime info and stats', async () => {
    const dir = join(scratch, 'export');
    await ok('exportConfigs', '-c', 'DefaultCluster', '-f', dir);
    const configs = JSON.parse(readFileSync(join(dir, 'configs.json'), 'utf8')) as { brokerConfigs: Record<string, Record<string, string>>; clusterScale: Record<string, number> };
    for (const broker of testBrokerNames) assert.equal(configs.brokerConfigs[broker]?.brokerClusterName, 'DefaultCluster', broker);
    assert.equal(configs.clusterScale.masterBrokerSize, testBrokerNames.length);
    await ok('exportMetrics', '-c', 'DefaultCluster', '-f', dir);
    assert.ok(existsSync(join(dir, 'metrics.json')), readdirSync(dir).join(', '));
  });
});
