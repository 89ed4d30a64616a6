import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { maxOffsetAcross } from '../support/cluster.js';
import { JavaHarness, deliveries } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { clientLog, Producer } from '../support/rocketmq5.js';

// RocketMQ 5's Node client (gRPC) sends; Apache RocketMQ's 4.x Java client (remoting) consumes the same messages
// from the same store: body, tag, keys, user properties and message id must be the same on both sides.
const TOPIC = 'GrpcTopic';
const GROUP = 'GrpcToRemotingGroup';
const QUEUES = 4;

test('a RocketMQ 5 producer over gRPC: normal, FIFO and delayed messages reach a 4.x consumer intact', { timeout: 180_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES), '--message-delay-level', '1s 2s 3s'] });
  const producer = new Producer({ endpoints: gw.grpcAddress!, namespace: '', topics: [TOPIC], requestTimeout: 5000, logger: clientLog() });
  t.after(async () => {
    await producer.shutdown().catch(() => undefined);
    await gw.stop();
    gw.cleanup();
  });
  await producer.startup();

  const sent = new Map<string, { i: number; kind: string; offset: number }>();
  const bodyOf = (i: number) => Buffer.concat([Buffer.from(`grpc-${i}-ünïcødé-`), Buffer.from([0, 0xff, i & 0xff])]);
  for (let i = 0; i < 12; i++) {
    const receipt = await producer.send({
      topic: TOPIC,
      tag: i % 2 === 0 ? 'TagA' : 'TagB',
      keys: [`key-${i}`, `second-${i}`],
      body: bodyOf(i),
      properties: new Map([['idx', String(i)], ['p-utf8', `值-${i}`]]),
    });
    sent.set(receipt.messageId, { i, kind: 'normal', offset: receipt.offset });
  }
  // One message group lands in one queue, in order.
  const fifoQueues = new Set<number>();
  for (let i = 12; i < 18; i++) {
    const receipt = await producer.send({ topic: TOPIC, messageGroup: 'order-42', keys: [`key-${i}`], body: bodyOf(i), properties: new Map([['idx', String(i)]]) });
    sent.set(receipt.messageId, { i, kind: 'fifo', offset: receipt.offset });
  }
  const delayedAt = Date.now();
  const delayed = await producer.send({ topic: TOPIC, delay: 2000, keys: ['key-delayed'], body: bodyOf(99), properties: new Map([['idx', '99']]) });
  sent.set(delayed.messageId, { i: 99, kind: 'delay', offset: delayed.offset });

  for (const id of sent.keys()) assert.match(id, /^01[0-9A-F]{32}$/, 'a v5 message id');

  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: TOPIC, group: GROUP, 'timeout-ms': 120_000 });
  try {
    await consumer.waitFor((e) => deliveries(e).length >= sent.size, 60_000, `${sent.size} deliveries`);
  } finally {
    await consumer.stop();
  }
  const got = deliveries(consumer.events);
  assert.equal(got.length, sent.size, 'each message exactly once');
  for (const d of got) {
    const s = sent.get(d.msgId as string);
    assert.ok(s, `the 4.x msgId ${String(d.msgId)} is a v5 message id the producer got back`);
    assert.deepEqual(Buffer.from(d.bodyBase64 as string, 'base64'), bodyOf(s.i), `body of ${s.i}`);
    const props = d.props as Record<string, string>;
    assert.equal(props.idx, String(s.i));
    if (s.kind === 'normal') {
      assert.equal(d.tags, s.i % 2 === 0 ? 'TagA' : 'TagB');
      assert.equal(d.keys, `key-${s.i} second-${s.i}`);
      assert.equal(props['p-utf8'], `值-${s.i}`);
    }
    if (s.kind === 'fifo') fifoQueues.add(d.queueId as number);
    if (s.kind === 'delay') assert.ok((d.storeTimestamp as number) - delayedAt >= 1500, 'the delayed message was stored when due, not at once');
  }
  assert.equal(fifoQueues.size, 1, 'a message group stays in one queue');
  const normalQueues = new Set(got.filter((d) => sent.get(d.msgId as string)!.kind === 'normal').map((d) => d.queueId));
  assert.equal(normalQueues.size, QUEUES, 'ungrouped messages spread over every queue, whatever queue the client names');

  // Every message is stored once: the queues' max offsets, over every broker of the route, add up to what was sent.
  const max = await Promise.all(Array.from({ length: QUEUES }, (_, q) => maxOffsetAcross(gw.address, TOPIC, q)));
  assert.equal(max.reduce((a, b) => a + b, 0), sent.size);
});

test('a RocketMQ 5 producer is refused clearly: an unknown topic with auto-creation off, a reserved property name', { timeout: 60_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--no-auto-create-topics', '--default-queues', '2'] });
  const producer = new Producer({ endpoints: gw.grpcAddress!, namespace: '', requestTimeout: 3000, maxAttempts: 1, logger: clientLog() });
  t.after(async () => {
    await producer.shutdown().catch(() => undefined);
    await gw.stop();
    gw.cleanup();
  });
  await producer.startup();
  const refusal = (pattern: RegExp) => (err: Error) => pattern.test(`${err.message} ${String((err as { code?: unknown }).code)}`);
  await assert.rejects(producer.send({ topic: 'NoSuchTopic', body: Buffer.from('x') }), refusal(/40402|does not exist/));
  const probe = await RemotingProbe.connect(gw.address);
  try {
    await probe.invoke(17, { topic: 'Existing', readQueueNums: '2', writeQueueNums: '2', perm: '6', topicFilterType: 'SINGLE_TAG', topicSysFlag: '0', order: 'false' });
  } finally {
    probe.close();
  }
  await assert.rejects(producer.send({ topic: 'Existing', body: Buffer.from('x'), properties: new Map([['UNIQ_KEY', 'forged']]) }), refusal(/40007|reserved/));
  const receipt = await producer.send({ topic: 'Existing', body: Buffer.from('fine') });
  assert.equal(receipt.offset, 0, 'the first message of a queue the gateway chose');
});
