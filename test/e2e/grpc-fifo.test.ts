import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { lagAcross, maxOffsetAcross } from '../support/cluster.js';
import { JavaHarness } from '../support/java-harness.js';
import { ConsumeResult, Rocketmq5Clients } from '../support/rocketmq5.js';

// FIFO over gRPC: a group declared orderly (consumeMessageOrderly, as `mqadmin updateSubGroup -o true` sets it)
// gets a message group's messages one after the other: the next one only once the previous one is acked, a
// message not acked in time comes back before anything after it, and a FIFO push consumer that gives up on a
// message forwards it to the dead-letter topic and goes on with the next.
const QUEUES = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a FIFO SimpleConsumer gets each message group in order; an unacked message comes back before the next', { timeout: 120_000 }, async (t) => {
  const topic = 'FifoTopic';
  const group = 'FifoSimpleGroup';
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES)] });
  const clients = new Rocketmq5Clients(gw, t);
  await RemotingProbe.declareGroup(gw.address, { groupName: group, consumeMessageOrderly: true });
  const producer = clients.producer([topic]);
  const consumer = clients.simpleConsumer(group, topic);
  await producer.startup();
  const PER_GROUP = 6;
  for (let i = 0; i < PER_GROUP; i++) {
    for (const g of ['A', 'B']) await producer.send({ topic, messageGroup: `order-${g}`, body: Buffer.from(`${g}${i}`), properties: new Map([['idx', String(i)]]) });
  }
  await consumer.startup();

  const seen = new Map<string, Array<{ idx: number; attempt: number }>>([['order-A', []], ['order-B', []]]);
  let acked = 0;
  let heldBack = false;
  const deadline = Date.now() + 60_000;
  while (acked < 2 * PER_GROUP && Date.now() < deadline) {
    for (const m of await consumer.receive(1, 10_000)) {
      const idx = Number(m.properties.get('idx'));
      seen.get(m.messageGroup!)!.push({ idx, attempt: m.deliveryAttempt ?? 0 });
      // A2 is left unacked once: nothing after it in its group may come until it is back and acked.
      if (m.messageGroup === 'order-A' && idx === 2 && !heldBack) {
        heldBack = true;
        await consumer.changeInvisibleDuration(m, 1000);
        continue;
      }
      await consumer.ack(m);
      acked++;
    }
  }
  assert.deepEqual(seen.get('order-A')!.map((s) => s.idx), [0, 1, 2, 2, 3, 4, 5], 'A in order, A2 again before A3');
  assert.deepEqual(seen.get('order-A')!.filter((s) => s.idx === 2).map((s) => s.attempt), [1, 2]);
  assert.deepEqual(seen.get('order-B')!.map((s) => s.idx), [0, 1, 2, 3, 4, 5], 'B in order, once each');
  assert.equal(await lagAcross(gw.address, group, topic, QUEUES), 0);
});

test('a FIFO PushConsumer consumes in order, retries a failing message locally, then forwards it to the dead-letter topic', { timeout: 120_000 }, async (t) => {
  const topic = 'FifoPushTopic';
  const group = 'FifoPushGroup';
  // Retries wait from delay level 3 on: one second here. Two retries: three attempts in all.
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES), '--message-delay-level', '1s 1s 1s 1s 1s'] });
  const clients = new Rocketmq5Clients(gw, t);
  await RemotingProbe.declareGroup(gw.address, { groupName: group, consumeMessageOrderly: true, retryMaxTimes: 2 });
  const producer = clients.producer([topic]);
  await producer.startup();
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await producer.send({ topic, messageGroup: 'order-1', body: Buffer.from(`m${i}`), properties: new Map([['idx', String(i)]]) })).messageId);
  const consumed: number[] = [];
  const consumer = clients.pushConsumer(group, topic, {
    consume(m) {
      const idx = Number(m.properties.get('idx'));
      consumed.push(idx);
      return idx === 2 ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
    },
  });
  await consumer.startup();
  const dlq = `%DLQ%${group}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && (consumed.length < 8 || (await lagAcross(gw.address, group, topic, QUEUES)) > 0)) await sleep(200);
  assert.deepEqual(consumed, [0, 1, 2, 2, 2, 3, 4, 5], 'in order; the failing one three times, and nothing after it meanwhile');
  assert.equal(await maxOffsetAcross(gw.address, dlq, 0), 1, 'the failing message is in the dead-letter topic');
  assert.equal(await lagAcross(gw.address, group, topic, QUEUES), 0, 'forwarding counts as consumed');
  const dlqReader = clients.simpleConsumer('DlqReaders', dlq, { awaitDuration: 2000 });
  await dlqReader.startup();
  // A receive asks one broker of the route; with --workers the dead letter is on one of them.
  let dead: Awaited<ReturnType<typeof dlqReader.receive>>[number] | undefined;
  for (let round = 0; round < 4 && !dead; round++) [dead] = await dlqReader.receive(1, 10_000);
  assert.equal(dead?.messageId, ids[2], 'the dead letter is the failing message, by id');
  assert.equal(dead?.body.toString(), 'm2');
});

test('a 4.x ordered producer\'s orders reach a FIFO PushConsumer each in sequence', { timeout: 120_000 }, async (t) => {
  const topic = 'OrderedFromRemoting';
  const group = 'OrderedFromRemotingGroup';
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES)] });
  const clients = new Rocketmq5Clients(gw, t);
  await RemotingProbe.declareGroup(gw.address, { groupName: group, consumeMessageOrderly: true });
  // Four orders of eight steps, each order pinned to one queue by the producer's selector, as 4.x ordered messages are.
  const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count: 8, mode: 'ordered', orders: 4 })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 32);
  const steps = new Map<number, number[]>();
  const consumer = clients.pushConsumer(group, topic, {
    consume(m) {
      const order = Number(m.properties.get('order'));
      steps.set(order, [...(steps.get(order) ?? []), Number(m.properties.get('step'))]);
      return ConsumeResult.SUCCESS;
    },
  });
  await consumer.startup();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && ([...steps.values()].reduce((n, s) => n + s.length, 0) < 32 || (await lagAcross(gw.address, group, topic, QUEUES)) > 0)) await sleep(200);
  for (let order = 0; order < 4; order++) assert.deepEqual(steps.get(order), [0, 1, 2, 3, 4, 5, 6, 7], `order ${order} in sequence, once each`);
  assert.equal(await lagAcross(gw.address, group, topic, QUEUES), 0);
});
