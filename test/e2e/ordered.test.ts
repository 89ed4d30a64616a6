import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayPerFile } from '../support/file-gateway.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';

// Ordered messages with Apache RocketMQ's Java client: a MessageQueueSelector pins each order to a queue,
// and MessageListenerOrderly consumers hold their queues through LOCK_BATCH_MQ while members come and go.
const ORDERS = 20;
const STEPS = 50;

const file = gatewayPerFile();

const orderOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).order);
const stepOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).step);

function member(instance: string): JavaHarness {
  const h = JavaHarness.start('push-consume', { namesrv: file.gw.address, topic: 'OrderedTopic', group: 'OrderlyGroup', orderly: 'true', instance, 'timeout-ms': 170_000 });
  file.track(h);
  return h;
}

test(`orderly: ${ORDERS} orders × ${STEPS} steps while a member joins and one leaves; every order's steps arrive in order`, { timeout: 180_000 }, async () => {
  const a = member('member-a');
  await a.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'member a ready');
  const producer = JavaHarness.start('produce', { namesrv: file.gw.address, topic: 'OrderedTopic', mode: 'ordered', orders: ORDERS, count: STEPS, 'pace-ms': 60 });
  file.track(producer);

  await a.waitFor((e) => deliveries(e).length >= 200, 60_000, 'member a consuming');
  const b = member('member-b');
  await b.waitFor((e) => deliveries(e).length >= 50, 60_000, 'member b takes over some queues');
  await a.stop();
  await producer.waitFor((e) => e.some((x) => x.event === 'done'), 60_000, 'all ordered sends');
  assert.equal(producer.events.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, ORDERS * STEPS);

  const seen = (): Set<string> => new Set([...deliveries(a.events), ...deliveries(b.events)].map((m) => `${orderOf(m)}:${stepOf(m)}`));
  await b.waitFor(() => seen().size >= ORDERS * STEPS, 90_000, `all ${ORDERS * STEPS} order steps`);

  // Per member, each order's steps only move forward.
  for (const [name, h] of [['a', a], ['b', b]] as const) {
    const last = new Map<number, number>();
    for (const m of deliveries(h.events)) {
      const prev = last.get(orderOf(m));
      assert.ok(prev === undefined || stepOf(m) > prev, `member ${name}: order ${orderOf(m)} step ${stepOf(m)} after ${prev}`);
      last.set(orderOf(m), stepOf(m));
    }
  }
  // Across members, in wall-clock order: the first delivery of each step comes after that of the step before.
  // (A queue handed over may replay steps not yet committed; a replay is a repeat, never a step out of order.)
  const all = [...deliveries(a.events), ...deliveries(b.events)].sort((x, y) => Number(x.atMicros) - Number(y.atMicros));
  const next = new Map<number, number>();
  for (const m of all) {
    const expected = next.get(orderOf(m)) ?? 0;
    assert.ok(stepOf(m) <= expected, `order ${orderOf(m)}: step ${stepOf(m)} arrived before step ${expected}`);
    if (stepOf(m) === expected) next.set(orderOf(m), expected + 1);
  }
  for (let o = 0; o < ORDERS; o++) assert.equal(next.get(o), STEPS, `order ${o} complete`);
  assert.ok(deliveries(b.events).length > 0 && deliveries(a.events).length > 0, 'both members consumed');
});

test('an orderly listener that suspends gets each message again, in order; past maxReconsumeTimes it goes to the DLQ', { timeout: 150_000 }, async () => {
  const retrying = JavaHarness.start('push-consume', { namesrv: file.gw.address, topic: 'OrderedRetryTopic', group: 'OrderlyRetryGroup', orderly: 'true', 'fail-times': 2, 'suspend-ms': 300, 'timeout-ms': 140_000 });
  file.track(retrying);
  await retrying.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'orderly consumer ready');
  await new Promise((r) => setTimeout(r, 3000));
  await JavaHarness.run('produce', { namesrv: file.gw.address, topic: 'OrderedRetryTopic', mode: 'ordered', orders: 4, count: 5 });
  await retrying.waitFor((e) => deliveries(e).length >= 60, 60_000, 'each of 20 messages three times');
  for (let o = 0; o < 4; o++) {
    const seq = deliveries(retrying.events).filter((m) => orderOf(m) === o).map((m) => `${stepOf(m)}:${m.reconsumeTimes}`);
    assert.deepEqual(seq, Array.from({ length: 5 }, (_, s) => [`${s}:0`, `${s}:1`, `${s}:2`]).flat(), `order ${o}: each step suspended twice, then the next`);
  }

  const failing = JavaHarness.start('push-consume', { namesrv: file.gw.address, topic: 'OrderedDlqTopic', group: 'OrderlyDlqGroup', orderly: 'true', 'fail-times': 1000, 'max-reconsume': 2, 'suspend-ms': 300, 'timeout-ms': 140_000 });
  file.track(failing);
  await failing.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'failing orderly consumer ready');
  await new Promise((r) => setTimeout(r, 3000));
  await JavaHarness.run('produce', { namesrv: file.gw.address, topic: 'OrderedDlqTopic', mode: 'ordered', orders: 2, count: 2 });
  const dlq = JavaHarness.start('push-consume', { namesrv: file.gw.address, topic: '%DLQ%OrderlyDlqGroup', group: 'OrderlyDlqReader', 'timeout-ms': 140_000 });
  file.track(dlq);
  await dlq.waitFor((e) => deliveries(e).length >= 4, 60_000, '4 dead letters');
  assert.deepEqual(deliveries(dlq.events).map((m) => `${orderOf(m)}:${stepOf(m)}`).sort(), ['0:0', '0:1', '1:0', '1:1']);
});
