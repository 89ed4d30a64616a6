import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarStore } from '../../src/store/pulsar/pulsar-store.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { PulsarClient } from '../../src/pulsar/pulsar-client.js';
import { PulsarProducer } from '../../src/pulsar/producer.js';
import { createLogger } from '../../src/logger.js';
import { message, topicConfig } from '../support/message-store-contract.js';
import { ownNamespaces, pulsarAdminUrl, pulsarServiceUrl } from '../support/pulsar.js';

// What only the Pulsar store has to get right (the MessageStore contract runs in pulsar-store-contract.test.ts):
// topics Pulsar clients wrote first, other writers on the same partitions, gateways sharing a system namespace.
// A tiny window, so most reads go through positioned readers.
const { ns, options, remove } = ownNamespaces('store', { queue: { recentMessages: 8, recentBytes: 1024 * 1024 } });
const log = createLogger('silent');
const admin = new PulsarAdmin(pulsarAdminUrl);
let store: PulsarStore;

before(async () => {
  store = new PulsarStore(options, log);
  await store.open();
});

after(async () => {
  await store.close();
  await remove();
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

test('deleting a topic deletes its partitioned topic in Pulsar', async () => {
  await store.putTopic(topicConfig('StoreDeleted', 2));
  await store.append('StoreDeleted', 1, [message(0), message(1)]);
  await store.deleteTopic('StoreDeleted');
  assert.ok(!(await admin.topics(`rocketmq/${ns}`)).some((t) => t.endsWith('/StoreDeleted')), 'the partitioned topic is deleted');
});

test('a queue only written to has no tail; the first read starts one, it stops when reads stop, and others\' messages are seen again', async () => {
  const own = ownNamespaces('tail', { queue: { recentMessages: 8, recentBytes: 1024 * 1024, tailIdleMs: 400 } });
  const s = new PulsarStore(own.options, log);
  await s.open();
  const partition = `rocketmq/${own.ns}/TailOnRead-partition-0`;
  const tails = async (): Promise<number> => {
    const stats = (await (await fetch(`${pulsarAdminUrl}/admin/v2/persistent/${partition}/stats`)).json()) as { subscriptions: Record<string, unknown> };
    return Object.keys(stats.subscriptions).filter((k) => k.startsWith('rop-tail-')).length;
  };
  const client = new PulsarClient({ serviceUrl: pulsarServiceUrl });
  try {
    await s.putTopic(topicConfig('TailOnRead', 1));
    assert.equal((await s.append('TailOnRead', 0, [message(0), message(1), message(2)])).firstOffset, 0);
    assert.equal((await s.append('TailOnRead', 0, [message(3)])).firstOffset, 3);
    assert.equal(await tails(), 0, 'appends alone start no tail');
    const r = await s.read('TailOnRead', 0, 0, 10, 1 << 20);
    assert.deepEqual(r.messages.map((m) => m.queueOffset), [0, 1, 2, 3]);
    assert.equal(await tails(), 1, 'a read starts the tail');
    const deadline = Date.now() + 10_000;
    while ((await tails()) > 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    assert.equal(await tails(), 0, 'the tail stops once reads stop');
    const p = await PulsarProducer.create(client, `persistent://${partition}`);
    await p.send({ payload: Buffer.from('written while no tail ran'), properties: {} });
    await p.close();
    assert.equal(await s.maxOffset('TailOnRead', 0), 5, 'the max offset counts the other writer\'s message');
    assert.equal(await tails(), 0, 'asking for the max offset starts no tail');
    const [m] = (await s.read('TailOnRead', 0, 4, 10, 1 << 20)).messages;
    assert.equal(m!.body.toString(), 'written while no tail ran');
    assert.equal((await s.append('TailOnRead', 0, [message(5)])).firstOffset, 5, 'appends continue after it');
  } finally {
    await client.close();
    await s.close();
    await own.remove();
  }
});
