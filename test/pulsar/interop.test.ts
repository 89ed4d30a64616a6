import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, expectedMessage, type HarnessEvent } from '../support/java-harness.js';
import { JavaConsumer, javaProduce } from '../support/pulsar-java.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { pulsarAdminUrl } from '../support/pulsar.js';

// The headline feature: RocketMQ and Pulsar applications share topics through the gateway, both ways,
// with Apache RocketMQ's and Apache Pulsar's own Java clients on either side.
const TAGS = ['TagA', 'TagB'];
let gw: GatewayProcess;
let namespace: string;

before(async () => {
  gw = await startGateway({ args: ['--default-queues', '2'], http: true });
  assert.ok(gw.pulsarNamespace, 'interop needs the gateway on the Pulsar store (run with ROP_TEST_STORE=pulsar)');
  namespace = gw.pulsarNamespace;
});

after(async () => {
  await gw?.stop();
  gw?.cleanup();
});

test('a message sent by a RocketMQ producer reaches a Pulsar consumer with body, key, tags and properties', { timeout: 120_000 }, async () => {
  const topic = 'InteropToPulsar';
  const count = 40;
  const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'sync', tags: TAGS.join(',') })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, count);
  const consumer = await JavaConsumer.start({ topic: `persistent://${namespace}/${topic}`, subscription: 'pulsar-app', count, initial: 'earliest' });
  const got = await consumer.waitFor(count, 60_000);
  await consumer.stop();
  const byIdx = new Map(got.map((m) => [Number(m.properties.idx), m]));
  assert.equal(byIdx.size, count, 'every message once');
  for (let i = 0; i < count; i++) {
    const m = byIdx.get(i)!;
    const want = expectedMessage(i, TAGS);
    assert.equal(m.bodyBase64, want.body.toString('base64'), `body of ${i}, byte for byte`);
    assert.equal(m.key, `key-${i}`, 'the first RocketMQ key is the Pulsar message key');
    assert.equal(m.properties.KEYS, want.keys);
    assert.equal(m.properties.TAGS, want.tags);
    assert.equal(m.properties['p-utf8'], want.props['p-utf8']);
    assert.ok(!Object.keys(m.properties).some((k) => k.startsWith('__rop.') && k !== '__rop.bornHost'), `only the born host rides along: ${Object.keys(m.properties)}`);
    assert.ok(m.eventTime > 0, 'born time is the event time');
  }
});

test('a metrics scrape counts what a RocketMQ producer wrote without starting a tail on its queues', { timeout: 60_000 }, async () => {
  const topic = 'InteropMetrics';
  const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count: 10, mode: 'sync', tags: TAGS.join(',') })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 10);
  const metrics = await (await fetch(`${gw.httpUrl}/metrics`)).text();
  const line = metrics.split('\n').find((l) => l.startsWith('rocketmq_producer_offset{') && l.includes(`topic="${topic}"`));
  assert.equal(Number(line?.split(' ').pop()), 10, `producer offset of ${topic}: ${line}`);
  // A tail would have Pulsar dispatch every later entry back to the gateway, for a count nobody reads.
  const stats = (await (await fetch(`${pulsarAdminUrl}/admin/v2/persistent/${namespace}/${topic}/partitioned-stats`)).json()) as { subscriptions: Record<string, unknown> };
  assert.deepEqual(Object.keys(stats.subscriptions).filter((s) => s.startsWith('rop-tail-')), []);
});

test('messages a Pulsar producer writes (batched and not) reach a RocketMQ consumer with key and properties', { timeout: 120_000 }, async () => {
  const topic = 'InteropFromPulsar';
  // A Pulsar application's existing partitioned topic; the gateway adopts it with all of its partitions.
  await new PulsarAdmin(pulsarAdminUrl).ensurePartitionedTopic(`${namespace}/${topic}`, 3);
  const plain = await javaProduce({ topic: `persistent://${namespace}/${topic}`, count: 30, key: 'order-1', properties: { origin: 'pulsar', 'ü': 'ß' }, bodyPrefix: 'plain-', eventTime: 1_700_000_000_000 });
  const batched = await javaProduce({ topic: `persistent://${namespace}/${topic}`, count: 60, properties: { origin: 'pulsar-batch' }, bodyPrefix: 'batched-', batching: true });
  assert.equal(plain.length + batched.length, 90);

  const c = JavaHarness.start('push-consume', { namesrv: gw.address, topic, group: 'RocketFromPulsar', 'timeout-ms': 110_000 });
  try {
    await c.waitFor((e) => msgs(e).length >= 90, 60_000, '90 messages from Pulsar');
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await c.stop();
  }
  const got = msgs(c.events);
  assert.equal(got.length, 90, 'each message once');
  const bodies = got.map((m) => Buffer.from(m.bodyBase64 as string, 'base64').toString());
  assert.deepEqual(bodies.filter((b) => b.startsWith('plain-')).sort(), Array.from({ length: 30 }, (_, i) => `plain-${i}`).sort());
  assert.deepEqual(bodies.filter((b) => b.startsWith('batched-')).sort(), Array.from({ length: 60 }, (_, i) => `batched-${i}`).sort());
  for (const m of got) {
    const props = m.props as Record<string, string>;
    if (Buffer.from(m.bodyBase64 as string, 'base64').toString().startsWith('plain-')) {
      assert.equal(m.keys, 'order-1', 'the Pulsar key is the RocketMQ KEYS');
      assert.deepEqual(props, { origin: 'pulsar', 'ü': 'ß' });
      assert.equal(m.bornTimestamp, 1_700_000_000_000, 'the event time is the born time');
    } else {
      assert.deepEqual(props, { origin: 'pulsar-batch' });
    }
    assert.equal(m.tags, null, 'a Pulsar message has no tag');
  }
  // Offsets stay contiguous per queue even though batch entries hold many messages.
  const byQueue = new Map<number, number[]>();
  for (const m of got) byQueue.set(Number(m.queueId), [...(byQueue.get(Number(m.queueId)) ?? []), Number(m.queueOffset)]);
  for (const [q, offsets] of byQueue) {
    offsets.sort((a, b) => a - b);
    assert.deepEqual(offsets, offsets.map((_, k) => k), `queue ${q} offsets 0..${offsets.length - 1}`);
  }
});

const msgs = (events: HarnessEvent[]): HarnessEvent[] => events.filter((e) => e.event === 'msg');
