import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarClient } from '../../src/pulsar/pulsar-client.js';
import { PulsarProducer } from '../../src/pulsar/producer.js';
import { PulsarConsumer, type ReceivedMessage } from '../../src/pulsar/consumer.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { pulsarAdminUrl, pulsarServiceUrl, uniqueSuffix } from '../support/pulsar.js';
import { JavaConsumer, javaProduce, type JavaReceived } from '../support/pulsar-java.js';

// Interop with Apache Pulsar's own Java client (test/harness/pulsar-java) through a real Pulsar standalone
// (npm run pulsar:start): what our TypeScript client writes, the reference client reads, and the reverse.
const admin = new PulsarAdmin(pulsarAdminUrl);
const namespace = `rocketmq/java-interop-${uniqueSuffix()}`;
const client = new PulsarClient({ serviceUrl: pulsarServiceUrl });
const PARTITIONS = 3;

before(async () => {
  await admin.ensureTenant('rocketmq');
  await admin.ensureNamespace(namespace);
});

after(async () => {
  await client.close();
  // Best effort: the namespace name is unique to this run, so a leftover one does no harm.
  await deleteNamespace(namespace).catch((err: unknown) => console.error(`cleanup of ${namespace}: ${String(err)}`));
});

/**
 * The standalone refuses a forced namespace delete (forceDeleteNamespaceAllowed=false), so its topics go
 * first (forced: that drops their subscriptions), then the empty namespace.
 */
async function deleteNamespace(ns: string): Promise<void> {
  const call = async (method: string, path: string, tolerated: number[] = []): Promise<unknown> => {
    const res = await fetch(`${pulsarAdminUrl}/admin/v2/${path}`, { method, signal: AbortSignal.timeout(20_000) });
    if (!res.ok && !tolerated.includes(res.status)) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    const text = await res.text();
    return text ? JSON.parse(text) : null;
  };
  const local = (t: string): string => t.replace(/^persistent:\/\//, '');
  for (const t of (await admin.topics(ns))) await admin.deletePartitionedTopic(local(t), true);
  for (const t of (await call('GET', `persistent/${ns}`)) as string[]) await call('DELETE', `persistent/${local(t)}?force=true`, [404]);
  await call('DELETE', `namespaces/${ns}`, [404]);
}

async function readAll(c: PulsarConsumer, n: number, quietMs = 3000): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  while (got.length < n) {
    const batch = await c.receive(n - got.length, quietMs);
    if (batch.length === 0) break;
    got.push(...batch);
  }
  return got;
}

/** "ledger:entry:partition[:batchIndex]" as the Java client prints a MessageId. */
function parseJavaId(id: string): { ledgerId: number; entryId: number; partition: number; batchIndex: number } {
  const parts = id.split(':').map(Number);
  assert.ok(parts.length >= 3 && parts.every(Number.isInteger), `message id ${id}`);
  return { ledgerId: parts[0]!, entryId: parts[1]!, partition: parts[2]!, batchIndex: parts[3] ?? -1 };
}

test('our producer writes a partitioned topic; the Java consumer reads body, key and properties', { timeout: 120_000 }, async () => {
  const topic = `${namespace}/FromTs`;
  await admin.ensurePartitionedTopic(topic, PARTITIONS);
  const perPartition = 4;
  const total = PARTITIONS * perPartition;
  // The base name: the Java client subscribes to every partition itself.
  const consumer = await JavaConsumer.start({ topic: `persistent://${topic}`, subscription: 'java-reader', count: total, timeoutMs: 30_000 });
  try {
    const eventTime = 1_700_000_000_000;
    for (let p = 0; p < PARTITIONS; p++) {
      // Our producer works on one partition at a time; routing over partitions is the gateway's business.
      const producer = await PulsarProducer.create(client, `persistent://${topic}-partition-${p}`);
      for (let i = 0; i < perPartition; i++) {
        await producer.send({
          payload: Buffer.from(`ts-${p}-${i}-ünïcødé-✓`, 'utf8'),
          key: `key-${p}-${i}`,
          properties: { idx: String(i), partition: String(p), 'ünï': `值-${i}` },
          eventTime: eventTime + i,
        });
      }
      await producer.close();
    }
    const got = await consumer.done();
    assert.equal(got.length, total, `the Java consumer got ${got.length} of ${total}; stderr: ${consumer.stderr.slice(-1000)}`);
    const byPartition = new Map<number, JavaReceived[]>();
    for (const m of got) {
      const p = Number(/-partition-(\d+)$/.exec(m.topic)?.[1]);
      assert.ok(Number.isInteger(p), `partition topic name ${m.topic}`);
      assert.equal(m.topic, `persistent://${topic}-partition-${p}`);
      byPartition.set(p, [...(byPartition.get(p) ?? []), m]);
    }
    for (let p = 0; p < PARTITIONS; p++) {
      const msgs = byPartition.get(p) ?? [];
      // Order holds within a partition.
      assert.deepEqual(msgs.map((m) => m.body), Array.from({ length: perPartition }, (_, i) => `ts-${p}-${i}-ünïcødé-✓`));
      msgs.forEach((m, i) => {
        assert.equal(m.key, `key-${p}-${i}`);
        assert.deepEqual(m.properties, { idx: String(i), partition: String(p), 'ünï': `值-${i}` });
        assert.equal(m.eventTime, eventTime + i);
        assert.ok(m.publishTime > 0);
        assert.equal(parseJavaId(m.messageId).partition, p);
      });
    }
  } finally {
    await consumer.stop();
  }
});

test('the Java producer writes a partitioned topic; our consumers read body, key and properties', { timeout: 120_000 }, async () => {
  const topic = `${namespace}/FromJava`;
  await admin.ensurePartitionedTopic(topic, PARTITIONS);
  const count = 10;
  const properties = { origin: 'pulsar-java', 'ünï': 'cødé-值', empty: '' };
  const sent = await javaProduce({ topic: `persistent://${topic}`, count, key: 'java-ключ', properties, bodyPrefix: 'java-ü-', batching: false });
  assert.equal(sent.length, count);
  // One key, so Pulsar's default router puts every message on the same partition.
  const ids = sent.map((s) => parseJavaId(s.messageId));
  const partition = ids[0]!.partition;
  assert.ok(partition >= 0 && partition < PARTITIONS, `partition ${partition}`);
  assert.ok(ids.every((id) => id.partition === partition && id.batchIndex === -1), 'one partition, no batches');

  const got: Array<{ p: number; m: ReceivedMessage }> = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const reader = await PulsarConsumer.subscribe(client, `persistent://${topic}-partition-${p}`, { subscription: 'ts-reader', durable: false, startMessageId: 'earliest' });
    for (const m of await readAll(reader, count, p === partition ? 5000 : 1000)) got.push({ p, m });
    await reader.close();
  }
  assert.equal(got.length, count);
  got.forEach(({ p, m }, i) => {
    assert.equal(p, partition);
    assert.equal(m.payload.toString('utf8'), `java-ü-${i}`);
    assert.equal(m.key, 'java-ключ');
    assert.deepEqual(Object.fromEntries(m.properties), properties);
    assert.equal(m.id.batchIndex, -1);
    assert.deepEqual([m.id.ledgerId, m.id.entryId], [ids[i]!.ledgerId, ids[i]!.entryId], 'the same message id on both sides');
  });
});

test('the Java producer batches; our consumer unpacks each message of the batch entries', { timeout: 120_000 }, async () => {
  const topic = `persistent://${namespace}/FromJavaBatched`;
  const count = 25;
  const sent = await javaProduce({ topic, count, key: 'batched', properties: { b: '1' }, bodyPrefix: 'batched-', batching: true, eventTime: 1_600_000_000_000 });
  const ids = sent.map((s) => parseJavaId(s.messageId));
  assert.ok(ids.some((id) => id.batchIndex > 0), `the Java client batched (${sent.map((s) => s.messageId).join(' ')})`);
  const reader = await PulsarConsumer.subscribe(client, topic, { subscription: 'ts-batch-reader', durable: false, startMessageId: 'earliest' });
  try {
    const got = await readAll(reader, count);
    assert.equal(got.length, count);
    got.forEach((m, i) => {
      assert.equal(m.payload.toString('utf8'), `batched-${i}`);
      assert.equal(m.key, 'batched');
      assert.deepEqual(Object.fromEntries(m.properties), { b: '1' });
      assert.equal(m.eventTime, 1_600_000_000_000);
      assert.deepEqual([m.id.ledgerId, m.id.entryId, m.id.batchIndex], [ids[i]!.ledgerId, ids[i]!.entryId, ids[i]!.batchIndex]);
    });
  } finally {
    await reader.close();
  }
});
