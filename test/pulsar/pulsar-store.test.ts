import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarStore, type PulsarStoreOptions } from '../../src/store/pulsar/pulsar-store.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { PulsarClient } from '../../src/pulsar/pulsar-client.js';
import { PulsarProducer } from '../../src/pulsar/producer.js';
import { createLogger } from '../../src/logger.js';
import type { NewMessage } from '../../src/store/message-store.js';
import { pulsarAdminUrl, pulsarServiceUrl, uniqueSuffix } from '../support/pulsar.js';

// The MessageStore contract on a real Pulsar, including the paths the e2e suite rarely reaches:
// reads behind the in-memory window, index lookups, reopening, and topics Pulsar clients wrote first.
const ns = `store-${uniqueSuffix()}`;
const options: PulsarStoreOptions = {
  serviceUrl: pulsarServiceUrl,
  adminUrl: pulsarAdminUrl,
  tenant: 'rocketmq',
  namespace: ns,
  systemNamespace: `rocketmq/${ns}-sys`,
  retentionHours: 72,
  offsetFlushMs: 200,
  // A tiny window, so most reads go through positioned readers.
  queue: { recentMessages: 8, recentBytes: 1024 * 1024 },
};
const log = createLogger('silent');
const admin = new PulsarAdmin(pulsarAdminUrl);
let store: PulsarStore;

const message = (i: number, extra: Record<string, string> = {}): NewMessage => ({
  body: Buffer.from(`body-${i}`),
  flag: 0,
  sysFlag: 0,
  properties: new Map([['TAGS', 'TagA'], ['KEYS', `key-${i}`], ['idx', String(i)], ...Object.entries(extra)]),
  bornTimestamp: 1_700_000_000_000 + i,
  bornHost: '10.0.0.1:1234',
  reconsumeTimes: 0,
  preparedTransactionOffset: 0n,
});
const topicConfig = (name: string, queues: number) => ({ name, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0, order: false });

before(async () => {
  store = new PulsarStore(options, log);
  await store.open();
});

after(async () => {
  await store.close();
  await admin.deleteNamespace(`rocketmq/${ns}`, true).catch(() => undefined);
  await admin.deleteNamespace(`rocketmq/${ns}-sys`, true).catch(() => undefined);
});

test('appends get contiguous offsets; reads inside and behind the recent window return the same messages', async () => {
  await store.putTopic(topicConfig('StoreT', 2));
  const first = await store.append('StoreT', 1, Array.from({ length: 10 }, (_, i) => message(i)));
  assert.equal(first.firstOffset, 0);
  const second = await store.append('StoreT', 1, Array.from({ length: 30 }, (_, i) => message(10 + i)));
  assert.equal(second.firstOffset, 10);
  assert.equal(await store.maxOffset('StoreT', 1), 40);
  assert.equal(await store.maxOffset('StoreT', 0), 0);
  assert.equal(await store.minOffset('StoreT', 1), 0);

  const seen: number[] = [];
  for (let offset = 0; offset < 40;) {
    const r = await store.read('StoreT', 1, offset, 7, 1 << 20);
    assert.equal(r.status, 'FOUND');
    for (const m of r.messages) {
      assert.equal(m.queueOffset, Number(m.properties.get('idx')));
      assert.equal(m.body.toString(), `body-${m.queueOffset}`);
      assert.equal(m.properties.get('TAGS'), 'TagA');
      assert.equal(m.bornHost, '10.0.0.1:1234');
      assert.equal(m.bornTimestamp, 1_700_000_000_000 + m.queueOffset);
      seen.push(m.queueOffset);
    }
    offset = r.nextOffset;
  }
  assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i));
  // A jump backwards and a read at the very end.
  assert.deepEqual((await store.read('StoreT', 1, 3, 2, 1 << 20)).messages.map((m) => m.queueOffset), [3, 4]);
  assert.equal((await store.read('StoreT', 1, 40, 5, 1 << 20)).status, 'OFFSET_OVERFLOW_ONE');
  assert.equal((await store.read('StoreT', 1, 99, 5, 1 << 20)).status, 'OFFSET_OVERFLOW_BADLY');
  assert.equal((await store.read('StoreT', 0, 0, 5, 1 << 20)).status, 'NO_MESSAGE_IN_QUEUE');
});

test('a locator from an append looks its message up again; search by time finds offsets', async () => {
  await store.putTopic(topicConfig('StoreLookup', 1));
  const before = Date.now() - 1;
  const r = await store.append('StoreLookup', 0, [message(0), message(1), message(2)]);
  const m = await store.lookup(r.locators[1]!);
  assert.equal(m?.body.toString(), 'body-1');
  assert.equal(m?.queueOffset, 1);
  assert.equal(m?.topic, 'StoreLookup');
  assert.equal(await store.offsetForTimestamp('StoreLookup', 0, before - 60_000), 0);
  assert.equal(await store.offsetForTimestamp('StoreLookup', 0, 0), 0, 'time 0 is before everything');
  assert.equal(await store.offsetForTimestamp('StoreLookup', 0, Date.now() + 60_000), 3);
  const earliest = await store.earliestStoreTime('StoreLookup', 0);
  assert.ok(earliest >= before - 1000 && earliest <= Date.now(), `earliest store time ${earliest}`);
});

test('topic configs and committed offsets survive a reopen; offsets continue where they were', async () => {
  await store.putTopic(topicConfig('StoreReopen', 3));
  await store.append('StoreReopen', 2, [message(0), message(1)]);
  await store.commitOffset('G1', 'StoreReopen', 2, 1);
  await store.close();
  store = new PulsarStore(options, log);
  await store.open();
  assert.deepEqual(store.getTopic('StoreReopen'), topicConfig('StoreReopen', 3));
  assert.equal(await store.committedOffset('G1', 'StoreReopen', 2), 1);
  assert.equal(await store.maxOffset('StoreReopen', 2), 2);
  const r = await store.append('StoreReopen', 2, [message(2)]);
  assert.equal(r.firstOffset, 2);
});

test('a topic Pulsar clients wrote first is adopted with all its partitions; their messages read as RocketMQ messages', async () => {
  const name = 'StoreNative';
  await admin.ensurePartitionedTopic(`rocketmq/${ns}/${name}`, 3);
  const client = new PulsarClient({ serviceUrl: pulsarServiceUrl });
  try {
    const p = await PulsarProducer.create(client, `persistent://rocketmq/${ns}/${name}-partition-1`);
    await p.send({ payload: Buffer.from('from pulsar'), key: 'order-7', properties: { color: 'red' }, eventTime: 1_700_000_000_123 });
    await p.close();
  } finally {
    await client.close();
  }
  const config = await store.putTopic(topicConfig(name, 1));
  assert.equal(config.readQueueNums, 3);
  const r = await store.read(name, 1, 0, 10, 1 << 20);
  assert.equal(r.status, 'FOUND');
  const [m] = r.messages;
  assert.equal(m!.body.toString(), 'from pulsar');
  assert.equal(m!.properties.get('KEYS'), 'order-7');
  assert.equal(m!.properties.get('color'), 'red');
  assert.equal(m!.properties.has('TAGS'), false);
  assert.equal(m!.bornTimestamp, 1_700_000_000_123);
});

test('a queue the topic does not have is an UnknownQueueError', async () => {
  await assert.rejects(store.append('NoSuchTopic', 0, [message(0)]), { name: 'UnknownQueueError' });
  await store.putTopic(topicConfig('StoreSmall', 1));
  await assert.rejects(store.read('StoreSmall', 5, 0, 1, 1024), { name: 'UnknownQueueError' });
});

test('gateways sharing a system namespace but mapping into different Pulsar namespaces keep their topics and offsets apart', async () => {
  // The same RocketMQ topic name lands in each gateway's own Pulsar namespace; a second gateway must create its
  // partitioned topic rather than take the first one's table entry for its own.
  const otherNs = `${ns}-other`;
  const other = new PulsarStore({ ...options, namespace: otherNs }, log);
  await other.open();
  try {
    await store.putTopic(topicConfig('SharedName', 1));
    await store.append('SharedName', 0, [message(1), message(2)]);
    await store.commitOffset('g', 'SharedName', 0, 2);
    assert.equal(other.getTopic('SharedName'), undefined);
    assert.ok(!other.listTopics().some((t) => t.name === 'SharedName'));
    await other.putTopic(topicConfig('SharedName', 3));
    assert.equal(await admin.partitionCount(`rocketmq/${otherNs}/SharedName`), 3);
    assert.equal(await admin.partitionCount(`rocketmq/${ns}/SharedName`), 1);
    const appended = await other.append('SharedName', 0, [message(3)]);
    assert.equal(appended.firstOffset, 0);
    assert.equal(await other.committedOffset('g', 'SharedName', 0), undefined);
    assert.equal(await store.maxOffset('SharedName', 0), 2);
    assert.equal(store.getTopic('SharedName')?.writeQueueNums, 1);
  } finally {
    await other.close();
    await admin.deleteNamespace(`rocketmq/${otherNs}`, true).catch(() => undefined);
  }
});

test('appends interleaved with another producer\'s batched and single entries get the offsets they are stored at', async () => {
  // Offsets of the store's own entries are worked out from the entry before when it is known; a foreign writer
  // in between must never make them wrong.
  const name = 'StoreMixed';
  await store.putTopic(topicConfig(name, 1));
  const client = new PulsarClient({ serviceUrl: pulsarServiceUrl });
  try {
    const foreign = await PulsarProducer.create(client, `persistent://rocketmq/${ns}/${name}-partition-0`, { batching: { maxMessages: 3, maxBytes: 1 << 20 } });
    const ours: Promise<{ firstOffset: number; body: string }[]>[] = [];
    const theirs: Promise<unknown>[] = [];
    for (let round = 0; round < 30; round++) {
      const batch = Array.from({ length: 1 + (round % 3) }, (_, i) => message(round * 10 + i));
      ours.push(store.append(name, 0, batch).then((r) => batch.map((m, i) => ({ firstOffset: r.firstOffset + i, body: m.body.toString() }))));
      for (let k = 0; k < round % 4; k++) theirs.push(foreign.send({ payload: Buffer.from(`foreign-${round}-${k}`), properties: {} }));
      if (round % 5 === 0) await Promise.all(theirs);
    }
    const placed = (await Promise.all(ours)).flat();
    await Promise.all(theirs);
    await foreign.close();
    assert.equal(new Set(placed.map((p) => p.firstOffset)).size, placed.length);
    for (const p of placed) {
      const r = await store.read(name, 0, p.firstOffset, 1, 1 << 20);
      assert.equal(r.status, 'FOUND');
      assert.equal(r.messages[0]!.body.toString(), p.body, `offset ${p.firstOffset}`);
    }
  } finally {
    await client.close();
  }
});

test('a deleted topic is gone from Pulsar with its committed offsets, and comes back empty', async () => {
  await store.putTopic(topicConfig('StoreDeleted', 2));
  await store.putTopic(topicConfig('StoreKept', 1));
  await store.append('StoreDeleted', 1, [message(0), message(1)]);
  await store.commitOffset('G', 'StoreDeleted', 1, 2);
  await store.commitOffset('G', 'StoreKept', 0, 0);
  await store.deleteTopic('StoreDeleted');
  await store.deleteTopic('StoreMissing');
  assert.equal(store.getTopic('StoreDeleted'), undefined);
  assert.ok(!(await admin.topics(`rocketmq/${ns}`)).some((t) => t.endsWith('/StoreDeleted')), 'the partitioned topic is deleted');
  assert.equal(await store.committedOffset('G', 'StoreDeleted', 1), undefined);
  assert.equal(await store.committedOffset('G', 'StoreKept', 0), 0);
  await store.close();
  store = new PulsarStore(options, log);
  await store.open();
  assert.equal(store.getTopic('StoreDeleted'), undefined);
  assert.equal(await store.committedOffset('G', 'StoreDeleted', 1), undefined);
  await store.putTopic(topicConfig('StoreDeleted', 2));
  assert.equal(await store.maxOffset('StoreDeleted', 1), 0, 'a topic created again under the name starts empty');
});

test('subscription group configs persist in the system namespace; deleting one leaves the others', async () => {
  const config = (groupName: string, retryMaxTimes: number) => ({
    groupName, consumeEnable: true, consumeFromMinEnable: false, consumeBroadcastEnable: false, consumeMessageOrderly: false,
    retryQueueNums: 1, retryMaxTimes, brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true,
    groupSysFlag: 0, consumeTimeoutMinute: 15, attributes: { k: 'v' },
  });
  await store.putSubscriptionGroup(config('GA', 5));
  await store.putSubscriptionGroup(config('GB', 3));
  await store.deleteSubscriptionGroup('GB');
  await store.close();
  store = new PulsarStore(options, log);
  await store.open();
  assert.deepEqual(store.getSubscriptionGroup('GA'), config('GA', 5));
  assert.equal(store.getSubscriptionGroup('GB'), undefined);
  assert.deepEqual(store.listSubscriptionGroups().map((g) => g.groupName), ['GA']);
});
