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
  }
});
