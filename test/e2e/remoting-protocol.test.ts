import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, testBrokerNames, type GatewayProcess } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { decodeStoredMessages, parseOffsetMsgId } from '../../src/protocol/message-codec.js';
import { ResponseCode } from '../../src/protocol/request-code.js';

// Request codes the real clients in the other suites do not exercise, spoken directly.
let gw: GatewayProcess;
let probe: RemotingProbe;

before(async () => {
  gw = await startGateway({ args: ['--default-queues', '2'] });
  probe = await RemotingProbe.connect(gw.address);
});

after(async () => {
  probe.close();
  await gw.stop();
  gw.cleanup();
});

async function send(topic: string, queueId: number, body: string, tags = 'TagA') {
  const r = await probe.invoke(310, {
    a: 'ProtoPG', b: topic, c: 'TBW102', d: '2', e: String(queueId), f: '0', g: String(Date.now()), h: '0',
    i: formatProperties(new Map([['TAGS', tags], ['KEYS', `k-${body}`]])), j: '0', k: 'false', m: 'false',
  }, Buffer.from(body));
  assert.equal(r.code, 0, r.remark);
  return r;
}

const pull = (topic: string, queueId: number, offset: number, suspendMs: number, sub = '*') =>
  probe.invoke(11, {
    consumerGroup: 'ProtoCG', topic, queueId: String(queueId), queueOffset: String(offset), maxMsgNums: '32',
    sysFlag: '6', commitOffset: '0', suspendTimeoutMillis: String(suspendMs), subscription: sub, subVersion: '0',
  });

test('name server role: route auto-creation, cluster info, topic list, KV config not found', async () => {
  const route = await probe.invoke(105, { topic: 'ProtoTopic' });
  assert.equal(route.code, 0);
  const data = JSON.parse(route.body!.toString()) as { queueDatas: Array<{ readQueueNums: number }>; brokerDatas: Array<{ brokerAddrs: Record<string, string> }> };
  assert.equal(data.queueDatas[0]!.readQueueNums, 2);
  assert.equal(data.brokerDatas[0]!.brokerAddrs['0'], gw.address);
  const cluster = JSON.parse((await probe.invoke(106, {})).body!.toString()) as { clusterAddrTable: Record<string, string[]> };
  assert.deepEqual(cluster.clusterAddrTable.DefaultCluster, testBrokerNames);
  const topics = JSON.parse((await probe.invoke(206, {})).body!.toString()) as { topicList: string[] };
  assert.ok(topics.topicList.includes('ProtoTopic'));
  const kv = await probe.invoke(101, { namespace: 'ORDER_TOPIC_CONFIG', key: 'ProtoTopic' });
  assert.equal(kv.code, 22);
});

test('without auto-creation an unknown topic is TOPIC_NOT_EXIST; the cluster and broker names still route', async () => {
  const strict = await startGateway({ args: ['--no-auto-create-topics'] });
  const p = await RemotingProbe.connect(strict.address);
  try {
    assert.equal((await p.invoke(105, { topic: 'NoSuchTopic' })).code, 17);
    assert.equal((await p.invoke(105, { topic: 'TBW102' })).code, 17, 'no default route while sends create no topic');
    // As Apache's brokers register them: the cluster's name routes to every broker, a broker's name to it alone.
    const routeOf = async (topic: string) => {
      const r = await p.invoke(105, { topic });
      assert.equal(r.code, 0, `route of ${topic}`);
      return JSON.parse(r.body!.toString()) as { queueDatas: Array<{ brokerName: string; readQueueNums: number; perm: number }>; brokerDatas: Array<{ brokerAddrs: Record<string, string> }> };
    };
    const cluster = await routeOf('DefaultCluster');
    assert.deepEqual(cluster.queueDatas.map((q) => [q.brokerName, q.readQueueNums, q.perm]).sort(), testBrokerNames.map((b) => [b, 16, 7]));
    assert.ok(cluster.brokerDatas.some((b) => b.brokerAddrs['0'] === strict.address), 'the gateway\'s own broker is among them');
    for (const broker of testBrokerNames) assert.deepEqual((await routeOf(broker)).queueDatas.map((q) => [q.brokerName, q.readQueueNums]), [[broker, 1]]);
    const topics = JSON.parse((await p.invoke(206, {})).body!.toString()) as { topicList: string[] };
    assert.ok(!topics.topicList.includes('DefaultCluster') && !testBrokerNames.some((b) => topics.topicList.includes(b)), 'no user topic made of them');
  } finally {
    p.close();
    await strict.stop();
    strict.cleanup();
  }
});

test('a held pull answers as soon as a message arrives, and at the suspend timeout otherwise', { timeout: 30_000 }, async () => {
  await probe.invoke(105, { topic: 'HoldTopic' });
  let started = Date.now();
  const empty = await pull('HoldTopic', 0, 0, 1500);
  const waited = Date.now() - started;
  assert.equal(empty.code, 19, 'PULL_NOT_FOUND after the suspend timeout');
  assert.ok(waited >= 1400, `held for the suspend timeout (${waited} ms)`);
  started = Date.now();
  const held = pull('HoldTopic', 0, 0, 20_000);
  await new Promise((r) => setTimeout(r, 300));
  await send('HoldTopic', 0, 'wake-up');
  const found = await held;
  assert.equal(found.code, 0);
  assert.ok(Date.now() - started < 10_000, 'woken by the append, long before the 20 s suspend');
  const [m] = decodeStoredMessages(found.body!);
  assert.equal(m!.body.toString(), 'wake-up');
});

test('tag filtering in the pull skips other tags but advances the offset past them', async () => {
  await send('FilterTopic', 0, 'a1', 'TagA');
  await send('FilterTopic', 0, 'b1', 'TagB');
  await send('FilterTopic', 0, 'a2', 'TagA');
  const r = await pull('FilterTopic', 0, 0, 0, 'TagB');
  assert.equal(r.code, 0);
  const msgs = decodeStoredMessages(r.body!);
  assert.deepEqual(msgs.map((m) => m.body.toString()), ['b1']);
  assert.equal(r.extFields.nextBeginOffset, '3');
});

test('offsets: min, max, by timestamp, earliest store time, commit and query', async () => {
  const t0 = Date.now();
  for (let i = 0; i < 5; i++) await send('OffsetTopic', 1, `m${i}`);
  assert.equal(await probe.maxOffset('OffsetTopic', 1), 5);
  assert.equal((await probe.invoke(31, { topic: 'OffsetTopic', queueId: '1' })).extFields.offset, '0');
  const byTime = await probe.invoke(29, { topic: 'OffsetTopic', queueId: '1', timestamp: String(t0 - 60_000) });
  assert.equal(byTime.extFields.offset, '0');
  const future = await probe.invoke(29, { topic: 'OffsetTopic', queueId: '1', timestamp: String(Date.now() + 60_000) });
  assert.equal(future.extFields.offset, '5');
  const earliest = Number((await probe.invoke(32, { topic: 'OffsetTopic', queueId: '1' })).extFields.timestamp);
  assert.ok(earliest >= t0 - 1000 && earliest <= Date.now(), `earliest store time ${earliest}`);
  await probe.invoke(15, { consumerGroup: 'OffsetGroup', topic: 'OffsetTopic', queueId: '1', commitOffset: '3' });
  assert.equal(await probe.committedOffset('OffsetGroup', 'OffsetTopic', 1), 3);
});

test('VIEW_MESSAGE_BY_ID finds a message by the offsetMsgId its send returned', async () => {
  const r = await send('ViewTopic', 0, 'find me');
  const id = parseOffsetMsgId(r.extFields.msgId!);
  assert.ok(id, `offsetMsgId ${r.extFields.msgId}`);
  const view = await probe.invoke(33, { offset: id.locator.toString() });
  assert.equal(view.code, 0);
  const [m] = decodeStoredMessages(view.body!);
  assert.equal(m!.body.toString(), 'find me');
  assert.equal(m!.topic, 'ViewTopic');
});

test('UPDATE_AND_CREATE_TOPIC creates and resizes; bad queue counts are INVALID_PARAMETER', async () => {
  const create = (n: string) => probe.invoke(17, { topic: 'AdminTopic', readQueueNums: n, writeQueueNums: n, perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' });
  assert.equal((await create('3')).code, 0);
  const route = JSON.parse((await probe.invoke(105, { topic: 'AdminTopic' })).body!.toString()) as { queueDatas: Array<{ writeQueueNums: number }> };
  assert.equal(route.queueDatas[0]!.writeQueueNums, 3);
  const bad = await create('0');
  assert.equal(bad.code, ResponseCode.INVALID_PARAMETER);
  assert.match(bad.remark ?? '', /between 1 and/);
});

test('heartbeat registers a consumer; the list shows it; unregister removes it', async () => {
  const heartbeat = { clientID: '10.0.0.9@proto', producerDataSet: [], consumerDataSet: [{ groupName: 'HbGroup', consumeType: 'CONSUME_PASSIVELY', messageModel: 'CLUSTERING', consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET', subscriptionDataSet: [{ topic: 'HbTopic', subString: '*', tagsSet: [], codeSet: [], subVersion: 1 }], unitMode: false }] };
  assert.equal((await probe.invoke(34, {}, Buffer.from(JSON.stringify(heartbeat)))).code, 0);
  const list = JSON.parse((await probe.invoke(38, { consumerGroup: 'HbGroup' })).body!.toString()) as { consumerIdList: string[] };
  assert.deepEqual(list.consumerIdList, ['10.0.0.9@proto']);
  assert.equal((await probe.invoke(35, { clientID: '10.0.0.9@proto', consumerGroup: 'HbGroup' })).code, 0);
  const after = await probe.invoke(38, { consumerGroup: 'HbGroup' });
  const ids = after.body ? (JSON.parse(after.body.toString()) as { consumerIdList: string[] }).consumerIdList : [];
  assert.deepEqual(ids, []);
});
