import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayPerFile } from '../support/file-gateway.js';
import { JavaHarness, deliveries, expectedMessage, type HarnessEvent } from '../support/java-harness.js';

// Delay levels, retries and dead letters with Apache RocketMQ's Java client, on a shortened delay table:
// level 2 waits 2 s, and a consumer's first and second retries use levels 3 (1 s) and 4 (5 s).
const DELAY_TABLE = '500ms 2s 1s 5s 3s 3s';
const TAGS = ['TagA'];

const file = gatewayPerFile({ args: ['--message-delay-level', DELAY_TABLE] });

const idxOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).idx);
/** Every property of the delivered message, system ones included, as the Java client's MessageExt has them. */
const allPropsOf = (m: HarnessEvent): Record<string, string> => m.allProps as Record<string, string>;
const atMs = (m: HarnessEvent): number => Number(m.atMicros) / 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function consumer(options: Record<string, string | number>): Promise<JavaHarness> {
  const h = JavaHarness.start('push-consume', { namesrv: file.gw.address, 'timeout-ms': 170_000, ...options });
  file.track(h);
  await h.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, `${options.group} ready`);
  return h;
}

async function produce(topic: string, count: number, extra: Record<string, string | number> = {}): Promise<void> {
  const events = await JavaHarness.run('produce', { namesrv: file.gw.address, topic, count, mode: 'sync', tags: TAGS.join(','), ...extra });
  assert.equal(events.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, count);
}

test('a message sent with delay level 2 (2 s here) is delivered after 2 s, within 1 s of its due time', { timeout: 120_000 }, async () => {
  const c = await consumer({ topic: 'DelayTopic', group: 'DelayGroup' });
  await produce('DelayTopic', 20, { 'delay-level': 2 });
  await c.waitFor((e) => deliveries(e).length >= 20, 30_000, '20 delayed messages');
  const lateness = deliveries(c.events).map((m) => atMs(m) - (Number(m.bornTimestamp) + 2000));
  for (const l of lateness) {
    assert.ok(l >= -100, `delivered ${-l} ms early`);
    assert.ok(l <= 1000, `delivered ${l} ms late`);
  }
  assert.deepEqual(deliveries(c.events).map(idxOf).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
});

test('a delayed message reports the delay level it was sent with, and keeps REAL_TOPIC and REAL_QID, as Apache RocketMQ delivers it', { timeout: 120_000 }, async () => {
  const c = await consumer({ topic: 'DelayShapeTopic', group: 'DelayShapeGroup' });
  await produce('DelayShapeTopic', 3, { 'delay-level': 2 });
  // Levels past the table's end are capped at its last level (6: 3 s here).
  await produce('DelayShapeTopic', 1, { 'delay-level': 40 });
  await c.waitFor((e) => deliveries(e).length >= 4, 30_000, '4 delayed messages');
  for (const m of deliveries(c.events)) {
    const props = allPropsOf(m);
    assert.ok([2, 6].includes(Number(m.delayLevel)), `getDelayTimeLevel() ${m.delayLevel}`);
    assert.equal(props.DELAY, String(m.delayLevel));
    assert.equal(props.REAL_TOPIC, 'DelayShapeTopic');
    assert.equal(props.REAL_QID, String(m.queueId));
    assert.equal(props.WAIT, 'true', 'a held-back message keeps WAIT, as on Apache RocketMQ');
  }
  assert.deepEqual(deliveries(c.events).map((m) => Number(m.delayLevel)).sort(), [2, 2, 2, 6]);
});

test('a timed message (TIMER_DELIVER_MS) comes with TIMER_OUT_MS, TIMER_ENQUEUE_MS and TIMER_DEQUEUE_MS, as Apache RocketMQ 5 delivers it', { timeout: 120_000 }, async () => {
  const c = await consumer({ topic: 'TimedShapeTopic', group: 'TimedShapeGroup' });
  // Even messages take delay levels 1-3, odd ones a delivery time up to 3 s ahead.
  await produce('TimedShapeTopic', 6, { mode: 'timed', 'max-delay-ms': 3000 });
  await c.waitFor((e) => deliveries(e).length >= 6, 30_000, '6 delayed messages');
  for (const m of deliveries(c.events)) {
    const props = allPropsOf(m);
    const i = idxOf(m);
    assert.equal(props.REAL_TOPIC, 'TimedShapeTopic');
    if (i % 2 === 0) {
      assert.equal(Number(m.delayLevel), 1 + (i / 2) % 3, `message ${i}'s level`);
      assert.equal(props.TIMER_OUT_MS, undefined);
      continue;
    }
    assert.equal(Number(m.delayLevel), 0);
    assert.equal(props.TIMER_OUT_MS, props.TIMER_DELIVER_MS, 'due when asked');
    assert.ok(Number(props.TIMER_ENQUEUE_MS) >= Number(m.bornTimestamp) && Number(props.TIMER_ENQUEUE_MS) < Number(props.TIMER_OUT_MS), 'entered the timer when sent');
    assert.ok(Number(props.TIMER_DEQUEUE_MS) >= Number(props.TIMER_OUT_MS), 'left it when due');
  }
});

test('a listener that fails twice gets each message exactly 3 times, about 1 s then 5 s apart, and never again', { timeout: 120_000 }, async () => {
  const c = await consumer({ topic: 'RetryTopic', group: 'RetryGroup', 'fail-times': 2 });
  await produce('RetryTopic', 5);
  await c.waitFor((e) => deliveries(e).length >= 15, 40_000, '15 deliveries');
  await sleep(7000);
  const got = deliveries(c.events);
  assert.equal(got.length, 15, 'nothing after the successful third delivery');
  for (let i = 0; i < 5; i++) {
    const mine = got.filter((m) => idxOf(m) === i).sort((a, b) => atMs(a) - atMs(b));
    assert.deepEqual(mine.map((m) => Number(m.reconsumeTimes)), [0, 1, 2], `message ${i} reconsume times`);
    assert.ok(mine.every((m) => m.topic === 'RetryTopic'), 'retries show the original topic');
    assert.deepEqual(mine.map((m) => Number(m.delayLevel)), [0, 3, 4], `message ${i}: each retry reports the level it waited`);
    const gaps = [atMs(mine[1]!) - atMs(mine[0]!), atMs(mine[2]!) - atMs(mine[1]!)];
    assert.ok(Math.abs(gaps[0]! - 1000) <= 1000, `first retry after ${gaps[0]} ms, expected about 1 s`);
    assert.ok(Math.abs(gaps[1]! - 5000) <= 1000, `second retry after ${gaps[1]} ms, expected about 5 s`);
    const want = expectedMessage(i, TAGS);
    assert.ok(mine.every((m) => m.bodyBase64 === want.body.toString('base64') && m.keys === want.keys && m.tags === want.tags), `message ${i} intact on every delivery`);
  }
});

test('a listener that always fails sends the message to %DLQ%group after maxReconsumeTimes; a DLQ consumer reads it intact', { timeout: 120_000 }, async () => {
  const c = await consumer({ topic: 'DlqTopic', group: 'DlqGroup', 'fail-times': 1000, 'max-reconsume': 2 });
  await produce('DlqTopic', 3);
  await c.waitFor((e) => deliveries(e).length >= 9, 40_000, '9 failing deliveries');
  const dlq = await consumer({ topic: '%DLQ%DlqGroup', group: 'DlqReader' });
  await dlq.waitFor((e) => deliveries(e).length >= 3, 30_000, '3 dead letters');
  await sleep(2000);
  assert.equal(deliveries(c.events).length, 9, 'three deliveries each (the first and two retries), then no more');
  const dead = deliveries(dlq.events);
  assert.equal(dead.length, 3);
  for (const m of dead) {
    const want = expectedMessage(idxOf(m), TAGS);
    assert.equal(m.bodyBase64, want.body.toString('base64'));
    assert.equal(m.keys, want.keys);
    assert.equal(m.tags, want.tags);
    assert.deepEqual(m.props, want.props);
    assert.equal(Number(m.reconsumeTimes), 3);
    assert.equal(allPropsOf(m).DELAY, '0', 'a dead letter waits no level');
    assert.equal(allPropsOf(m).RETRY_TOPIC, 'DlqTopic');
  }
});
