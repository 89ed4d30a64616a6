import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, expectedMessage, type HarnessEvent } from '../support/java-harness.js';

// Apache RocketMQ's own Java client (4.9.x, from Maven Central) against the gateway, through the harness.
const TAGS = ['TagA', 'TagB', 'TagC'];
let gw: GatewayProcess;
const running: JavaHarness[] = [];

before(async () => {
  gw = await startGateway();
});

after(async () => {
  await Promise.all(running.map((h) => h.stop()));
  await gw.stop();
  gw.cleanup();
});

function consumer(command: 'push-consume' | 'lite-pull', options: Record<string, string | number>): JavaHarness {
  const h = JavaHarness.start(command, { namesrv: gw.address, 'timeout-ms': 170_000, ...options });
  running.push(h);
  return h;
}


/** Every delivered message equals what the producer sent for its index, body and all. */
function assertSameAsSent(delivered: HarnessEvent[]): void {
  for (const m of delivered) {
    const props = m.props as Record<string, string>;
    const i = Number(props.idx);
    const want = expectedMessage(i, TAGS);
    assert.equal(m.bodyBase64, want.body.toString('base64'), `body of message ${i}`);
    assert.equal(m.tags, want.tags, `tags of message ${i}`);
    assert.equal(m.keys, want.keys, `keys of message ${i}`);
    assert.deepEqual(props, want.props, `user properties of message ${i}`);
  }
}

function assertContiguous(sent: HarnessEvent[], what: string): void {
  // A queue is a broker's: with --workers each broker has queue ids of its own.
  const byQueue = new Map<string, number[]>();
  for (const s of sent) {
    const q = `${String(s.broker)}/${String(s.queueId)}`;
    byQueue.set(q, [...(byQueue.get(q) ?? []), Number(s.queueOffset)]);
  }
  for (const [q, offsets] of byQueue) {
    offsets.sort((a, b) => a - b);
    assert.deepEqual(offsets, offsets.map((_, k) => k), `${what}: queue ${q} offsets are 0..${offsets.length - 1} without gaps`);
  }
}

test('sync, async and batch sends are all SEND_OK with contiguous per-queue offsets', { timeout: 120_000 }, async () => {
  const topic = 'JavaSendModes';
  const sent: HarnessEvent[] = [];
  for (const [mode, count] of [['sync', 300], ['async', 300], ['batch', 320]] as const) {
    const events = await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode, 'batch-size': 32, tags: TAGS.join(',') });
    const ok = events.filter((e) => e.event === 'sent');
    assert.equal(ok.length, count, `${mode}: every send acknowledged`);
    assert.ok(ok.every((e) => e.status === 'SEND_OK'), `${mode}: all SEND_OK`);
    assert.equal(new Set(ok.map((e) => e.msgId)).size, count, `${mode}: distinct msgIds`);
    sent.push(...ok);
  }
  assertContiguous(sent, 'sync+async+batch');
});

test('a push consumer group of two members gets every message exactly once, byte for byte', { timeout: 150_000 }, async () => {
  const topic = 'JavaPush';
  const group = 'JavaPushGroup';
  const a = consumer('push-consume', { topic, group, instance: 'member-a' });
  const b = consumer('push-consume', { topic, group, instance: 'member-b' });
  await Promise.all([a.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'member a'), b.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'member b')]);
  // Both members are in the group before the first message, so no queue changes hands mid-stream.
  await new Promise((r) => setTimeout(r, 3000));
  const count = 300;
  await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'sync', tags: TAGS.join(',') });
  const total = (): number => deliveries(a.events).length + deliveries(b.events).length;
  await a.waitFor(() => total() >= count, 60_000, `${count} deliveries across both members`);
  await new Promise((r) => setTimeout(r, 1500));
  const all = [...deliveries(a.events), ...deliveries(b.events)];
  const positions = all.map((m) => `${String(m.broker)}/${m.queueId}:${m.queueOffset}`);
  assert.equal(new Set(positions).size, all.length, 'no message delivered twice');
  assert.equal(all.length, count, 'every message delivered');
  assert.deepEqual(new Set(all.map((m) => Number((m.props as Record<string, string>).idx))).size, count);
  assert.ok(deliveries(a.events).length > 0 && deliveries(b.events).length > 0, `both members consumed (${deliveries(a.events).length}/${deliveries(b.events).length})`);
  assertSameAsSent(all);
});

test('a subscription to "TagA || TagB" gets exactly the TagA and TagB messages', { timeout: 120_000 }, async () => {
  const topic = 'JavaTagFilter';
  const count = 150;
  await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'sync', tags: TAGS.join(',') });
  const c = consumer('push-consume', { topic, group: 'JavaTagGroup', sub: 'TagA || TagB' });
  const wanted = Array.from({ length: count }, (_, i) => i).filter((i) => TAGS[i % 3] !== 'TagC');
  await c.waitFor((e) => deliveries(e).length >= wanted.length, 60_000, `${wanted.length} TagA/TagB messages`);
  await new Promise((r) => setTimeout(r, 1500));
  const got = deliveries(c.events);
  assert.ok(got.every((m) => m.tags === 'TagA' || m.tags === 'TagB'), 'only TagA and TagB');
  assert.deepEqual(got.map((m) => Number((m.props as Record<string, string>).idx)).sort((x, y) => x - y), wanted);
  assertSameAsSent(got);
});

test('a DefaultLitePullConsumer gets every message exactly once, including oneway sends', { timeout: 120_000 }, async () => {
  const topic = 'JavaLitePull';
  const count = 200;
  await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'oneway', tags: TAGS.join(',') });
  const c = consumer('lite-pull', { topic, group: 'JavaLiteGroup' });
  await c.waitFor((e) => deliveries(e).length >= count, 60_000, `${count} messages`);
  await new Promise((r) => setTimeout(r, 1500));
  const got = deliveries(c.events);
  assert.equal(got.length, count);
  assert.equal(new Set(got.map((m) => `${String(m.broker)}/${m.queueId}:${m.queueOffset}`)).size, count, 'no duplicates');
  assert.equal(new Set(got.map((m) => (m.props as Record<string, string>).idx)).size, count, 'every index');
  assertSameAsSent(got);
});

test('the Java client with ROCKETMQ binary header serialization sends and consumes the same', { timeout: 120_000 }, async () => {
  const topic = 'JavaRocketmqSerialization';
  const count = 60;
  const sent = await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'sync', tags: TAGS.join(','), serialize: 'ROCKETMQ' });
  assert.equal(sent.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, count);
  const c = consumer('lite-pull', { topic, group: 'JavaRocketmqGroup', serialize: 'ROCKETMQ' });
  await c.waitFor((e) => deliveries(e).length >= count, 60_000, `${count} messages`);
  const got = deliveries(c.events);
  assert.equal(new Set(got.map((m) => (m.props as Record<string, string>).idx)).size, count);
  assertSameAsSent(got);
});

test('bodies the Java client compresses (over 4 KiB) come back byte for byte', { timeout: 120_000 }, async () => {
  const topic = 'JavaCompressed';
  const count = 20;
  const bodySize = 16 * 1024;
  await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'sync', tags: TAGS.join(','), 'body-size': bodySize });
  const c = consumer('lite-pull', { topic, group: 'JavaCompressedGroup' });
  await c.waitFor((e) => deliveries(e).length >= count, 60_000, `${count} messages`);
  for (const m of deliveries(c.events)) {
    const i = Number((m.props as Record<string, string>).idx);
    assert.equal(m.bodyBase64, expectedMessage(i, TAGS, bodySize).body.toString('base64'), `body of ${i}`);
  }
});
