import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarClient } from '../../src/pulsar/pulsar-client.js';
import { PulsarProducer } from '../../src/pulsar/producer.js';
import { PulsarConsumer, type ReceivedMessage } from '../../src/pulsar/consumer.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { PulsarServerError } from '../../src/pulsar/errors.js';
import { pulsarAdminUrl, pulsarServiceUrl, uniqueSuffix } from '../support/pulsar.js';

// Our Pulsar client against a real Pulsar standalone (npm run pulsar:start).
const admin = new PulsarAdmin(pulsarAdminUrl);
const namespace = `rocketmq/client-${uniqueSuffix()}`;
// Connections open lazily, so the client can exist before the broker is checked.
const client = new PulsarClient({ serviceUrl: pulsarServiceUrl });

before(async () => {
  await admin.ensureTenant('rocketmq');
  await admin.ensureNamespace(namespace);
});

after(async () => {
  await client.close();
});

async function readAll(c: PulsarConsumer, n: number): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  while (got.length < n) {
    const batch = await c.receive(n - got.length, 5000);
    if (batch.length === 0) break;
    got.push(...batch);
  }
  return got;
}

test('admin: tenant, namespace with retention, partitioned topic', async () => {
  await admin.setRetention(namespace, { retentionTimeInMinutes: 4320, retentionSizeInMB: -1 });
  assert.deepEqual(await admin.getRetention(namespace), { retentionTimeInMinutes: 4320, retentionSizeInMB: -1 });
  const topic = `${namespace}/Partitioned`;
  await admin.ensurePartitionedTopic(topic, 3);
  await admin.ensurePartitionedTopic(topic, 3);
  assert.equal(await admin.partitionCount(topic), 3);
  await admin.updatePartitions(topic, 4);
  assert.equal(await client.partitions(`persistent://${topic}`), 4);
  assert.ok((await admin.topics(namespace)).includes(`persistent://${topic}`));
});

test('produce and read back: payload, key, properties, and contiguous broker entry indexes', { timeout: 60_000 }, async () => {
  const topic = `persistent://${namespace}/Contiguous`;
  const producer = await PulsarProducer.create(client, topic);
  const receipts = await Promise.all(Array.from({ length: 500 }, (_, i) =>
    producer.send({ payload: Buffer.from([i & 0xff, 0, 0xff]), key: `k${i}`, properties: { TAGS: 'TagA', idx: String(i), 'ünï': 'cødé' }, eventTime: 1_700_000_000_000 + i })));
  assert.deepEqual(receipts.map((r) => r.sequenceId), receipts.map((_, i) => i));
  const reader = await PulsarConsumer.subscribe(client, topic, { subscription: 'reader', durable: false, startMessageId: 'earliest' });
  const got = await readAll(reader, 500);
  assert.equal(got.length, 500);
  got.forEach((m, i) => {
    assert.equal(m.index, i, 'the entry index is the contiguous offset');
    assert.deepEqual(m.payload, Buffer.from([i & 0xff, 0, 0xff]));
    assert.equal(m.key, `k${i}`);
    assert.equal(m.properties.get('idx'), String(i));
    assert.equal(m.properties.get('ünï'), 'cødé');
    assert.equal(m.eventTime, 1_700_000_000_000 + i);
    assert.ok(m.brokerTimestamp! >= m.publishTime, 'broker timestamp from the entry metadata');
  });
  assert.deepEqual(got.map((m) => `${m.id.ledgerId}:${m.id.entryId}`), receipts.map((r) => `${r.ledgerId}:${r.entryId}`));
  const last = await reader.lastMessageId();
  assert.equal(last.id.entryId, receipts.at(-1)!.entryId);
  await reader.close();
  await producer.close();
});

test('a batching producer packs concurrent sends into batch entries; readers unpack them with per-message indexes', { timeout: 60_000 }, async () => {
  const topic = `persistent://${namespace}/Batched`;
  const producer = await PulsarProducer.create(client, topic, { batching: { maxMessages: 100, maxBytes: 1 << 20 } });
  const receipts = await Promise.all(Array.from({ length: 250 }, (_, i) =>
    producer.send({ payload: Buffer.from(`b${i}`), key: `k${i % 7}`, properties: { idx: String(i) }, eventTime: 1_700_000_000_000 + i })));
  const alone = await producer.send({ payload: Buffer.from('alone') });
  assert.equal(new Set(receipts.map((r) => `${r.ledgerId}:${r.entryId}`)).size, 3, '250 concurrent sends in entries of at most 100');
  assert.deepEqual(receipts.slice(0, 100).map((r) => r.batchIndex), Array.from({ length: 100 }, (_, i) => i));
  assert.equal(alone.batchIndex, -1, 'a message sent on its own is not a batch');
  const reader = await PulsarConsumer.subscribe(client, topic, { subscription: 'reader', durable: false, startMessageId: 'earliest' });
  const got = await readAll(reader, 251);
  assert.deepEqual(got.map((m) => m.index), got.map((_, i) => i), 'indexes count every message of a batch');
  got.slice(0, 250).forEach((m, i) => {
    assert.equal(m.payload.toString(), `b${i}`);
    assert.equal(m.key, `k${i % 7}`);
    assert.equal(m.properties.get('idx'), String(i));
    assert.equal(m.eventTime, 1_700_000_000_000 + i);
    assert.deepEqual(m.id, { ledgerId: receipts[i]!.ledgerId, entryId: receipts[i]!.entryId, partition: m.id.partition, batchIndex: receipts[i]!.batchIndex });
  });
  assert.equal(got[250]!.payload.toString(), 'alone');
  await reader.close();
  await producer.close();
});

test('a reader seeks to a message id and reads from there', { timeout: 60_000 }, async () => {
  const topic = `persistent://${namespace}/Seek`;
  const producer = await PulsarProducer.create(client, topic);
  const receipts = [];
  for (let i = 0; i < 20; i++) receipts.push(await producer.send({ payload: Buffer.from(`m${i}`) }));
  const reader = await PulsarConsumer.subscribe(client, topic, { subscription: 'seeker', durable: false, startMessageId: 'earliest' });
  assert.equal((await readAll(reader, 20)).length, 20);
  const target = receipts[9]!;
  await reader.seek({ ledgerId: target.ledgerId, entryId: target.entryId, partition: -1, batchIndex: -1 });
  const after = await readAll(reader, 10);
  assert.ok(after.length >= 10, `read ${after.length} after the seek`);
  assert.equal(after[0]!.index, 9, 'the seek lands on the message sought');
  await reader.close();
  await producer.close();
});

test('a durable subscription acknowledges; a new consumer on it resumes after the acked messages', { timeout: 60_000 }, async () => {
  const topic = `persistent://${namespace}/Durable`;
  const producer = await PulsarProducer.create(client, topic);
  const sub = await PulsarConsumer.subscribe(client, topic, { subscription: 'durable-sub', subType: 'Exclusive', startMessageId: 'earliest' });
  for (let i = 0; i < 10; i++) await producer.send({ payload: Buffer.from(`d${i}`) });
  const first = await readAll(sub, 10);
  assert.equal(first.length, 10);
  await sub.ack(first[5]!.id, true);
  await new Promise((r) => setTimeout(r, 300));
  await sub.close();
  const again = await PulsarConsumer.subscribe(client, topic, { subscription: 'durable-sub', subType: 'Exclusive' });
  const rest = await readAll(again, 4);
  assert.deepEqual(rest.map((m) => m.payload.toString()), ['d6', 'd7', 'd8', 'd9']);
  await again.close();
  await producer.close();
});

test('lookup errors come back as typed server errors', async () => {
  const topicNotFound = (err: unknown) => err instanceof PulsarServerError && err.code === 11 && /Namespace not found/.test(err.message);
  await assert.rejects(client.lookup('persistent://no-such-tenant/no-such-ns/T'), topicNotFound);
  await assert.rejects(PulsarProducer.create(client, 'persistent://no-such-tenant/x/T'), topicNotFound);
});
