import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { TestCluster, ask, createTopic, json, polled, routeOf } from '../support/cluster.js';
import { Producer, SimpleConsumer, clientLog } from '../support/rocketmq5.js';
import { formatProperties } from '../../src/protocol/message-properties.js';
import { decodeStoredMessages, parseOffsetMsgId } from '../../src/protocol/message-codec.js';
import { mqadminOk, rows } from '../support/mqadmin.js';

// Three gateways over one Pulsar are one RocketMQ cluster of three brokers: every client, whichever gateway it was
// given, sees the same brokers and gets each message once, whatever gateway its producer, its consumers and the
// slot's owner are on. Delay levels are all 1 s so that delays and retries take seconds.
let cluster: TestCluster;
const DELAYS = ['--message-delay-level', Array(18).fill('1s').join(' ')];

before(async () => {
  cluster = await TestCluster.start(3, 3, DELAYS);
});

after(async () => {
  await cluster?.stop();
});

const gw = (i: number) => cluster.gateways[i]!;
const idxOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).idx);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function consumer(i: number, topic: string, group: string, more: Record<string, string | number | boolean> = {}): Promise<JavaHarness> {
  const c = JavaHarness.start('push-consume', { namesrv: gw(i).address, topic, group, 'timeout-ms': 170_000, ...more });
  await c.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, `consumer ready on gateway ${i}`);
  return c;
}

/** How often each idx was delivered to any of `consumers`. */
function counts(consumers: JavaHarness[]): Map<number, number> {
  const seen = new Map<number, number>();
  for (const c of consumers) for (const m of deliveries(c.events)) seen.set(idxOf(m), (seen.get(idxOf(m)) ?? 0) + 1);
  return seen;
}

test('every gateway gives the same three brokers and queue layout; a client given one gateway uses all three', { timeout: 60_000 }, async () => {
  const views = await cluster.views();
  const spread = TestCluster.spread(views);
  assert.ok(spread, 'the gateways agree on who serves each slot');
  assert.deepEqual([...spread.values()], [1, 1, 1], 'one slot per gateway');
  assert.equal((await createTopic(gw(0).address, 'ClusterRoutes', 4)).code, 0);
  const routes = await Promise.all(cluster.gateways.map((g) => routeOf(g.address, 'ClusterRoutes')));
  for (const r of routes) assert.deepEqual(r, routes[0], 'the same route from every gateway');
  assert.equal(routes[0]!.brokerDatas.length, 3);
  assert.deepEqual(routes[0]!.queueDatas.map((q) => q.writeQueueNums), [4, 4, 4]);
  const info = json<{ clusterAddrTable: Record<string, string[]> }>(await ask(gw(2).address, 106, {}));
  assert.equal(Object.values(info.clusterAddrTable)[0]!.length, 3, 'cluster info lists three brokers');

  const sent = (await JavaHarness.run('produce', { namesrv: gw(1).address, topic: 'ClusterRoutes', count: 60, mode: 'sync' })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 60);
  assert.deepEqual(new Set(sent.map((e) => e.broker)), new Set(routes[0]!.brokerDatas.map((b) => b.brokerName)), 'sends go to all three brokers');
});

test('mqadmin through any gateway: clusterList and brokerStatus show every broker; updateTopic -c creates the topic on every one', { timeout: 120_000 }, async () => {
  const brokers = rows(await mqadminOk(gw(2).address, ['clusterList']), 'DefaultCluster');
  assert.deepEqual(brokers.map((r) => r[1]).sort(), ['rop-broker-0', 'rop-broker-1', 'rop-broker-2'], 'three brokers');
  const views = (await cluster.views())[0]!;
  for (const row of brokers) assert.equal(row[3], views.find((v) => v.brokerName === row[1])!.address, `${row[1]} at its owner's address`);
  for (const row of brokers) assert.match(await mqadminOk(gw(0).address, ['brokerStatus', '-b', row[3]!]), /brokerActive\s*: true/);
  await mqadminOk(gw(1).address, ['updateTopic', '-c', 'DefaultCluster', '-t', 'AdminClusterTopic', '-r', '3', '-w', '3']);
  const route = await routeOf(gw(2).address, 'AdminClusterTopic');
  assert.deepEqual(route.queueDatas.map((q) => [q.brokerName, q.writeQueueNums]), [['rop-broker-0', 3], ['rop-broker-1', 3], ['rop-broker-2', 3]]);
});

test('a group with members on two gateways gets 10,000 messages from a third, each exactly once', { timeout: 240_000 }, async () => {
  const topic = 'ClusterSpread';
  assert.equal((await createTopic(gw(0).address, topic, 4)).code, 0);
  const members = [await consumer(0, topic, 'SpreadGroup'), await consumer(1, topic, 'SpreadGroup')];
  try {
    // Both members rebalance once the second joins (the gateways notify them); nothing is sent until then.
    await sleep(5000);
    // Three gateways, Pulsar and the JVMs share two cores: an event loop held up past 200 ms answers busy, and the
    // producer sends again after a pause, as an application does.
    const produced = await JavaHarness.run('produce', { namesrv: gw(2).address, topic, count: 10_000, mode: 'async', 'retry-busy': 'true' }, 180_000);
    assert.equal(produced.filter((e) => e.event === 'sent').length, 10_000);
    await polled(() => counts(members).size >= 10_000, 120_000, '10,000 distinct messages');
    await sleep(3000);
    const seen = counts(members);
    const twice = [...seen.values()].filter((n) => n > 1).length;
    console.log(`# 10,000 messages: ${seen.size} distinct delivered, ${twice} more than once; members got ${members.map((m) => deliveries(m.events).length).join(' and ')}`);
    assert.equal(seen.size, 10_000, 'none lost');
    assert.equal(twice, 0, 'none delivered twice outside a rebalance');
    for (const m of members) assert.ok(deliveries(m.events).length > 0, 'both members consume');
    assert.equal(new Set(members.flatMap((m) => deliveries(m.events).map((e) => e.broker))).size, 3, 'from all three brokers');
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
});

test('an orderly group with members on two gateways keeps each order in order', { timeout: 180_000 }, async () => {
  const topic = 'ClusterOrders';
  assert.equal((await createTopic(gw(0).address, topic, 2, true)).code, 0);
  const members = [await consumer(1, topic, 'OrderGroup', { orderly: true }), await consumer(2, topic, 'OrderGroup', { orderly: true })];
  try {
    await sleep(5000);
    const produced = await JavaHarness.run('produce', { namesrv: gw(0).address, topic, mode: 'ordered', orders: 20, count: 30 }, 120_000);
    assert.equal(produced.filter((e) => e.event === 'sent').length, 600);
    await polled(() => members.reduce((n, c) => n + deliveries(c.events).length, 0) >= 600, 90_000, '600 ordered messages');
    const all = members.flatMap((c) => deliveries(c.events)).sort((a, b) => Number(a.atMicros) - Number(b.atMicros));
    const props = (m: HarnessEvent) => m.props as Record<string, string>;
    for (let order = 0; order < 20; order++) {
      const steps = all.filter((m) => props(m).order === String(order)).map((m) => Number(props(m).step));
      assert.deepEqual(steps, Array.from({ length: 30 }, (_, s) => s), `order ${order}: each step once, in order`);
    }
    for (const m of members) assert.ok(deliveries(m.events).length > 0, 'both members consume');
  } finally {
    await Promise.all(members.map((m) => m.stop()));
  }
});

test('delays (4.x levels, 5.x delivery times), retries and dead letters across gateways: each exactly once', { timeout: 180_000 }, async (t) => {
  const topic = 'ClusterDelays';
  assert.equal((await createTopic(gw(0).address, topic, 2)).code, 0);
  const retrying = await consumer(1, topic, 'RetryOnceGroup', { 'fail-times': 1 });
  const dying = await consumer(2, topic, 'DeadLetterGroup', { 'fail-times': 99, 'max-reconsume': 1 });
  const dlq = await consumer(0, '%DLQ%DeadLetterGroup', 'DeadLetterReaders');
  const v5 = new Producer({ endpoints: gw(1).grpcAddress!, namespace: '', topics: [topic], requestTimeout: 5000, logger: clientLog() });
  const v5Consumer = new SimpleConsumer({ endpoints: gw(2).grpcAddress!, namespace: '', consumerGroup: 'V5DelayGroup', subscriptions: new Map([[topic, '*']]), awaitDuration: 1000, requestTimeout: 3000, logger: clientLog() });
  try {
    await sleep(3000);
    const sent = (await JavaHarness.run('produce', { namesrv: gw(0).address, topic, count: 100, mode: 'sync', 'delay-level': 2 })).filter((e) => e.event === 'sent');
    assert.equal(sent.length, 100);
    await v5.startup();
    const sentAt = Date.now();
    for (let i = 100; i < 120; i++) await v5.send({ topic, delay: 2000, body: Buffer.from(`v5-${i}`), properties: new Map([['idx', String(i)]]) });
    await v5Consumer.startup();
    const v5Arrived = new Map<string, number>();
    // Bounded by time, not by rounds: delayed messages fall due one by one, so a receive may bring only a few.
    const receiveUntil = Date.now() + 60_000;
    let rounds = 0;
    while (Date.now() < receiveUntil && [...v5Arrived.keys()].filter((k) => Number(k) >= 100).length < 20) {
      rounds++;
      for (const m of await v5Consumer.receive(32, 30_000)) {
        const idx = m.properties.get('idx')!;
        v5Arrived.set(idx, (v5Arrived.get(idx) ?? 0) + 1);
        if (Number(idx) >= 100) assert.ok(Date.now() - sentAt >= 1900, `5.x message ${idx} waited its delivery time`);
        await v5Consumer.ack(m);
      }
    }
    t.diagnostic(`5.x consumer: ${v5Arrived.size} messages in ${rounds} receives`);
    const expected = Array.from({ length: 120 }, (_, i) => i);
    await retrying.waitFor(() => deliveries(retrying.events).length >= 240, 60_000, 'each message twice (once and one retry)');
    await dlq.waitFor(() => deliveries(dlq.events).length >= 120, 60_000, 'every message in the dead-letter queue');
    await sleep(4000);
    const byAttempt = (c: JavaHarness, n: number) => deliveries(c.events).filter((m) => m.reconsumeTimes === n).map(idxOf).sort((a, b) => a - b);
    assert.deepEqual(byAttempt(retrying, 0), expected, 'first deliveries: each once');
    assert.deepEqual(byAttempt(retrying, 1), expected, 'retries: each once');
    assert.equal(deliveries(retrying.events).length, 240, 'nothing more');
    assert.equal(deliveries(dying.events).length, 240, 'the dead-letter group: each message twice, then no more');
    assert.deepEqual(deliveries(dlq.events).map(idxOf).sort((a, b) => a - b), expected, 'each dead letter once');
    assert.ok(deliveries(retrying.events).filter((m) => m.reconsumeTimes === 0 && idxOf(m) < 100).every((m) => m.delayLevel === 2));
    const v5Counts = [...v5Arrived.entries()].filter(([k]) => Number(k) >= 100);
    assert.equal(v5Counts.length, 20, 'the 5.x consumer gets every 5.x delayed message');
    assert.ok(v5Counts.every(([, n]) => n === 1), 'once each');
  } finally {
    await v5.shutdown().catch(() => undefined);
    await v5Consumer.shutdown().catch(() => undefined);
    await Promise.all([retrying.stop(), dying.stop(), dlq.stop()]);
  }
});

test('request-reply and key and message-id queries through other gateways than the one that stored the message', { timeout: 120_000 }, async () => {
  const responder = JavaHarness.start('respond', { namesrv: gw(1).address, topic: 'ClusterRequests', group: 'ClusterResponders', 'timeout-ms': 110_000 });
  try {
    await responder.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'responder ready');
    await sleep(3000);
    const events = await JavaHarness.run('request', { namesrv: gw(2).address, topic: 'ClusterRequests', count: 20, 'timeout-ms': 10_000 });
    assert.deepEqual(events.filter((e) => e.event === 'error'), [], 'no request failed');
    assert.equal(events.filter((e) => e.event === 'reply').length, 20, 'every request answered');
  } finally {
    await responder.stop();
  }
  const sent = (await JavaHarness.run('produce', { namesrv: gw(0).address, topic: 'ClusterQueries', count: 30, mode: 'sync' })).filter((e) => e.event === 'sent');
  for (const i of [3, 17, 29]) {
    const byKey = (await JavaHarness.run('query', { namesrv: gw((i % 2) + 1).address, topic: 'ClusterQueries', key: `key-${i}` })).filter((e) => e.event === 'msg');
    assert.deepEqual(byKey.map(idxOf), [i], `key-${i}: exactly its message`);
    const byId = (await JavaHarness.run('query', { namesrv: gw(2).address, topic: 'ClusterQueries', 'msg-id': String(sent[i]!.msgId) })).filter((e) => e.event === 'msg');
    assert.deepEqual(byId.map(idxOf), [i], `message id of ${i}`);
  }
});

test('50 topics created concurrently through all gateways: one config each everywhere, every message id found from every gateway', { timeout: 120_000 }, async () => {
  const names = Array.from({ length: 50 }, (_, i) => `Concurrent${i}`);
  // Each topic is created twice at once, through two gateways, with different queue counts.
  const created = await Promise.all(names.flatMap((t, i) => [createTopic(gw(i % 3).address, t, 2), createTopic(gw((i + 1) % 3).address, t, 3)]));
  assert.ok(created.every((r) => r.code === 0), 'every creation accepted');
  await sleep(1000);
  const brokers = json<{ brokerAddrTable: Record<string, { brokerAddrs: Record<string, string> }> }>(await ask(gw(0).address, 106, {})).brokerAddrTable;
  const brokerAddrs = Object.values(brokers).map((b) => b.brokerAddrs['0']!);
  const ids: Array<{ topic: string; id: string; body: string }> = [];
  for (const [i, topic] of names.entries()) {
    const routes = await Promise.all(cluster.gateways.map((g) => routeOf(g.address, topic)));
    for (const r of routes) assert.deepEqual(r, routes[0], `${topic}: one route everywhere`);
    assert.ok(routes[0]!.queueDatas.every((q) => q.writeQueueNums === routes[0]!.queueDatas[0]!.writeQueueNums), `${topic}: one queue count`);
    const body = `message of ${topic}`;
    const r = await ask(brokerAddrs[i % brokerAddrs.length]!, 310, {
      a: 'ConcurrentPG', b: topic, c: 'TBW102', d: '4', e: '0', f: '0', g: String(Date.now()), h: '0', i: formatProperties(new Map([['KEYS', topic]])), j: '0', k: 'false', m: 'false',
    }, Buffer.from(body));
    assert.equal(r.code, 0, r.remark);
    ids.push({ topic, id: r.extFields.msgId!, body });
  }
  let right = 0;
  for (const { topic, id, body } of ids) {
    for (const g of cluster.gateways) {
      const view = await ask(g.address, 33, { offset: parseOffsetMsgId(id)!.locator.toString() });
      const [m] = view.code === 0 ? decodeStoredMessages(view.body!) : [];
      if (m?.topic === topic && m.body.toString() === body) right++;
    }
  }
  console.log(`# 100 concurrent creations of 50 topics; ${right}/${ids.length * 3} message-id lookups right`);
  assert.equal(right, ids.length * 3);
});
