import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import {
  ALI_ONS_INTERVAL_MS, aliConsumer, aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer,
  type AliConsumer, type AliMessage, type AliProducer,
} from '../support/ali-ons.js';

// What ali-ons supports of RocketMQ's semantics: delay levels on send, retries through
// CONSUMER_SEND_MSG_BACK when a handler throws, and broadcasting consumers.
let gw: GatewayProcess;
let clientDir: string;
let producer: AliProducer;
const consumers: AliConsumer[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  gw = await startGateway({ args: ['--message-delay-level', '1s 2s 1s 5s'] });
  clientDir = mkdtempSync(join(tmpdir(), 'rop-ali-ons-semantics-'));
  producer = aliProducer(gw.address, clientDir, { instanceName: 'semantics-producer' });
  await producer.ready();
});

after(async () => {
  for (const c of consumers) await closeAli(c);
  await closeAli(producer);
  await closeAliOnsInnerProducer();
  await gw.stop();
  gw.cleanup();
  rmSync(clientDir, { recursive: true, force: true });
});

async function consumer(group: string, topic: string, instanceName: string, handler: (m: AliMessage) => Promise<void>, options: Record<string, unknown> = {}): Promise<void> {
  const c = aliConsumer(gw.address, clientDir, { consumerGroup: group, instanceName, ...options });
  consumers.push(c);
  c.subscribe(topic, '*', handler);
  await c.ready();
  // ali-ons rebalances on its timer only; let it take its queues before anything is sent.
  await sleep(2 * ALI_ONS_INTERVAL_MS + 500);
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test('a message sent with delay level 2 (2 s here) arrives 2 s later', { timeout: 60_000 }, async () => {
  const got: Array<{ idx: string; late: number }> = [];
  const sentAt = new Map<string, number>();
  await consumer('AliDelayGroup', 'AliDelayTopic', 'delay-consumer', async (m) => {
    got.push({ idx: m.properties.idx!, late: Date.now() - sentAt.get(m.properties.idx!)! });
  });
  for (let i = 0; i < 5; i++) {
    sentAt.set(String(i), Date.now());
    assert.equal((await producer.send(aliMessage('AliDelayTopic', 'T', `d${i}`, [], { idx: String(i), DELAY: '2' }))).sendStatus, 'SEND_OK');
  }
  await until(() => got.length >= 5, 30_000, '5 delayed messages');
  for (const g of got) assert.ok(g.late >= 1900 && g.late <= 3500, `message ${g.idx} after ${g.late} ms`);
});

test('a handler that throws once gets the message again through the retry topic, about 1 s later', { timeout: 60_000 }, async () => {
  const deliveries: Array<{ idx: string; reconsumeTimes: number; at: number }> = [];
  await consumer('AliRetryGroup', 'AliRetryTopic', 'retry-consumer', async (m) => {
    deliveries.push({ idx: m.properties.idx!, reconsumeTimes: m.reconsumeTimes, at: Date.now() });
    if (m.reconsumeTimes === 0) throw new Error('first delivery fails on purpose');
  });
  for (let i = 0; i < 3; i++) await producer.send(aliMessage('AliRetryTopic', 'T', `r${i}`, [], { idx: String(i) }));
  await until(() => deliveries.length >= 6, 30_000, '6 deliveries');
  await sleep(3000);
  assert.equal(deliveries.length, 6, 'each message twice, then done');
  for (let i = 0; i < 3; i++) {
    const mine = deliveries.filter((d) => d.idx === String(i));
    assert.deepEqual(mine.map((d) => d.reconsumeTimes), [0, 1]);
    const gap = mine[1]!.at - mine[0]!.at;
    assert.ok(gap >= 900 && gap <= 3000, `message ${i} retried after ${gap} ms`);
  }
});

test('two broadcasting consumers of one group each get every message', { timeout: 60_000 }, async () => {
  const a: string[] = [];
  const b: string[] = [];
  await consumer('AliBroadcastGroup', 'AliBroadcastTopic', 'broadcast-a', async (m) => { a.push(m.properties.idx!); }, { isBroadcast: true });
  await consumer('AliBroadcastGroup', 'AliBroadcastTopic', 'broadcast-b', async (m) => { b.push(m.properties.idx!); }, { isBroadcast: true });
  for (let i = 0; i < 20; i++) await producer.send(aliMessage('AliBroadcastTopic', 'T', `b${i}`, [], { idx: String(i) }));
  await until(() => a.length >= 20 && b.length >= 20, 30_000, '20 messages at both');
  await sleep(1500);
  const all = Array.from({ length: 20 }, (_, i) => String(i)).sort();
  assert.deepEqual([...a].sort(), all);
  assert.deepEqual([...b].sort(), all);
});
