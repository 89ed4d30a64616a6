import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import {
  ALI_ONS_INTERVAL_MS, aliConsumer, aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer,
  type AliConsumer, type AliMessage, type AliProducer,
} from '../support/ali-ons.js';

// The ali-ons npm client (JSON headers) against the gateway: 1,000 messages, a two-member group,
// a tag filter and a late group reading from the first offset.
const TOPIC = 'AliOnsTopic';
const COUNT = 1000;
const TAGS = ['TagA', 'TagB', 'TagC'];

let gw: GatewayProcess;
let clientDir: string;
let producer: AliProducer;
const consumers: AliConsumer[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

const bodyOf = (i: number): Buffer => Buffer.concat([Buffer.from(`ali-${i}-ünïcødé-`), Buffer.from([i & 0xff, 0, 0xff])]);
const indexOf = (m: AliMessage): number => Number(m.properties.idx);

/** A stored message's place: its id names the broker that stored it (queue ids repeat across brokers). */
const where = (m: AliMessage): string => `${m.msgId}/${m.queueId}:${m.queueOffset}`;
/** Every stored message at most once, and every message index at most once. */
function assertNoDuplicates(got: AliMessage[], what: string): void {
  assert.equal(new Set(got.map(where)).size, got.length, `${what}: no (queueId,queueOffset) delivered twice`);
  assert.equal(new Set(got.map(indexOf)).size, got.length, `${what}: no message delivered twice`);
}

function assertSameAsSent(m: AliMessage): void {
  const i = indexOf(m);
  assert.deepEqual(m.body, bodyOf(i), `body of ${i}`);
  assert.equal(m.tags, TAGS[i % 3], `tags of ${i}`);
  assert.equal(m.keys, `key-${i} k2-${i}`, `keys of ${i}`);
  assert.equal(m.properties.color, i % 2 ? 'blue' : 'grün', `property of ${i}`);
}

async function consume(group: string, expression: string, instanceName: string, into: AliMessage[], options: Record<string, unknown> = {}): Promise<AliConsumer> {
  const c = aliConsumer(gw.address, clientDir, { consumerGroup: group, instanceName, ...options });
  c.subscribe(TOPIC, expression, async (m) => { into.push(m); });
  consumers.push(c);
  await c.ready();
  return c;
}

before(async () => {
  gw = await startGateway();
  clientDir = mkdtempSync(join(tmpdir(), 'rop-ali-ons-'));
  producer = aliProducer(gw.address, clientDir, { instanceName: 'producer' });
  await producer.ready();
});

after(async () => {
  for (const c of consumers) await closeAli(c);
  await closeAli(producer);
  await closeAliOnsInnerProducer();
  if (gw) {
    await gw.stop();
    gw.cleanup();
  }
  if (clientDir) rmSync(clientDir, { recursive: true, force: true });
});

// The two-member group settles before the first send, so no queue changes hands while messages flow:
// a queue moving mid-stream may legitimately redeliver what its old owner had not committed yet.
// ali-ons ignores NOTIFY_CONSUMER_IDS_CHANGED and rebalances only on its timer (ALI_ONS_INTERVAL_MS), and
// a pull it had parked on a queue it then gave up still delivers once; short parks (1.5 s) let those drain.
const memberA: AliMessage[] = [];
const memberB: AliMessage[] = [];
const SETTLE_MS = 2 * ALI_ONS_INTERVAL_MS + 1500 + 1500;

test('1,000 sync sends with tags and keys, each SEND_OK at a contiguous offset', { timeout: 120_000 }, async () => {
  await consume('AliOnsGroup', '*', 'member-a', memberA, { brokerSuspendMaxTimeMillis: 1500 });
  await consume('AliOnsGroup', '*', 'member-b', memberB, { brokerSuspendMaxTimeMillis: 1500 });
  await sleep(SETTLE_MS);
  const offsets = new Map<string, number[]>();
  for (let i = 0; i < COUNT; i++) {
    const r = await producer.send(aliMessage(TOPIC, TAGS[i % 3]!, bodyOf(i), [`key-${i}`, `k2-${i}`], { idx: String(i), color: i % 2 ? 'blue' : 'grün' }));
    assert.equal(r.sendStatus, 'SEND_OK', `send ${i}`);
    const q = `${r.messageQueue.brokerName}/${r.messageQueue.queueId}`;
    offsets.set(q, [...(offsets.get(q) ?? []), Number(r.queueOffset)]);
  }
  for (const [q, list] of offsets) assert.deepEqual(list, list.map((_, k) => k), `queue ${q} offsets 0..${list.length - 1}`);
});

test('a two-member push group receives every message exactly once across members', { timeout: 120_000 }, async (t) => {
  const [a, b] = [memberA, memberB];
  await until(() => a.length + b.length >= COUNT, 60_000, `${COUNT} deliveries`);
  await sleep(2000);
  const all = [...a, ...b];
  assertNoDuplicates(all, 'two-member group');
  assert.equal(all.length, COUNT);
  assert.equal(new Set(all.map(indexOf)).size, COUNT, 'every message');
  assert.ok(a.length > 0 && b.length > 0, `both members consumed (${a.length}/${b.length})`);
  t.diagnostic(`member-a ${a.length}, member-b ${b.length}`);
  all.forEach(assertSameAsSent);
});

test('"TagA || TagB" delivers exactly the TagA and TagB messages', { timeout: 120_000 }, async () => {
  const got: AliMessage[] = [];
  await consume('AliOnsTagGroup', 'TagA || TagB', 'tag-filter', got);
  const wanted = Array.from({ length: COUNT }, (_, i) => i).filter((i) => i % 3 !== 2);
  await until(() => got.length >= wanted.length, 60_000, `${wanted.length} TagA/TagB messages`);
  await sleep(2000);
  assertNoDuplicates(got, 'tag filter');
  assert.deepEqual(got.map(indexOf).sort((x, y) => x - y), wanted);
  got.forEach(assertSameAsSent);
});

test('a group started later from the first offset receives all 1,000 again', { timeout: 120_000 }, async () => {
  const got: AliMessage[] = [];
  await consume('AliOnsLateGroup', '*', 'late', got, { consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
  await until(() => got.length >= COUNT, 60_000, `${COUNT} messages`);
  await sleep(1000);
  assertNoDuplicates(got, 'late group');
  assert.equal(got.length, COUNT);
  assert.deepEqual(got.map(indexOf).sort((x, y) => x - y), Array.from({ length: COUNT }, (_, i) => i));
  got.forEach(assertSameAsSent);
});
