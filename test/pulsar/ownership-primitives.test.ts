import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarClient } from '../../src/pulsar/pulsar-client.js';
import { PulsarConsumer } from '../../src/pulsar/consumer.js';
import { PulsarProducer } from '../../src/pulsar/producer.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { PulsarProducerFencedError, PulsarServerError } from '../../src/pulsar/errors.js';
import { sleep } from '../../src/pulsar/backoff.js';
import { pulsarAdminUrl, pulsarServiceUrl, uniqueSuffix } from '../support/pulsar.js';

// The two Pulsar mechanisms the gateway holds "broker slot" ownership with, against a real Pulsar standalone:
// Failover subscriptions (one active consumer per partition) and PIP-68 exclusive producers.
const admin = new PulsarAdmin(pulsarAdminUrl);
const namespace = `rocketmq/ownership-${uniqueSuffix()}`;
const clients: PulsarClient[] = [];

const newClient = (): PulsarClient => {
  const c = new PulsarClient({ serviceUrl: pulsarServiceUrl });
  clients.push(c);
  return c;
};

before(async () => {
  await admin.ensureTenant('rocketmq');
  await admin.ensureNamespace(namespace);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
});

/** Polls `cond` and returns how long it took to hold. */
async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await sleep(10);
  }
  return Date.now() - start;
}

/** Drops the client's connection to the broker that owns `topic`, as a network failure would; the client lives on. */
async function dropConnection(client: PulsarClient, topic: string): Promise<void> {
  (await client.lookup(topic)).close();
}

interface Member {
  name: string;
  client: PulsarClient;
  consumers: PulsarConsumer[];
  /** What onActiveChange reported, per partition. */
  events: boolean[][];
}

const PARTITIONS = 6;

test('Failover subscriptions on every partition: one active consumer per partition, spread evenly, handed over on close, kill and rejoin', { timeout: 120_000 }, async (t: TestContext) => {
  const topic = `${namespace}/slots`;
  await admin.ensurePartitionedTopic(topic, PARTITIONS);
  const partitions = Array.from({ length: PARTITIONS }, (_, i) => `persistent://${topic}-partition-${i}`);

  const join = async (name: string): Promise<Member> => {
    const m: Member = { name, client: newClient(), consumers: [], events: partitions.map(() => []) };
    m.consumers = await Promise.all(partitions.map((p, i) => PulsarConsumer.subscribe(m.client, p, {
      subscription: 'slots', subType: 'Failover', consumerName: name, onActiveChange: (active) => m.events[i]!.push(active),
    })));
    return m;
  };
  // The broker sorts a partition's consumers by name and makes consumer (partition index % count) the active one.
  const expected = (live: Member[]): string[] => {
    const names = live.map((m) => m.name).sort();
    return partitions.map((_, i) => names[i % names.length]!);
  };
  const owners = (all: Member[]): string[][] => partitions.map((_, i) => all.filter((m) => m.consumers[i]!.active === true).map((m) => m.name));
  const spreadAs = (all: Member[], live: Member[]) => (): boolean =>
    JSON.stringify(owners(all)) === JSON.stringify(expected(live).map((n) => [n]));
  const held = (m: Member): number => m.consumers.filter((c) => c.active).length;

  const a = await join('gw-a');
  await waitFor('gw-a active on every partition', spreadAs([a], [a]));
  const b = await join('gw-b');
  const c = await join('gw-c');
  const joined = await waitFor('2/2/2 spread', spreadAs([a, b, c], [a, b, c]));
  t.diagnostic(`two members joining: spread 2/2/2 after ${joined} ms`);
  assert.deepEqual([held(a), held(b), held(c)], [2, 2, 2]);
  for (let i = 0; i < PARTITIONS; i++) {
    const stats = await (await fetch(`${pulsarAdminUrl}/admin/v2/persistent/${topic}-partition-${i}/stats`)).json() as
      { subscriptions: Record<string, { activeConsumerName?: string }> };
    assert.equal(stats.subscriptions['slots']!.activeConsumerName, expected([a, b, c])[i], `the broker's own view of partition ${i}`);
  }

  // A member leaving cleanly: its partitions go to the survivors.
  let start = Date.now();
  await Promise.all(b.consumers.map((x) => x.close()));
  const closedAfter = Date.now() - start;
  const afterClose = closedAfter + await waitFor('survivors hold every partition after a close', spreadAs([a, b, c], [a, c]));
  t.diagnostic(`close: survivors hold all 6 partitions (3/3) ${afterClose} ms after the close began`);
  assert.deepEqual([held(a), held(b), held(c)], [3, 0, 3]);
  assert.deepEqual(b.events.map((e) => e.at(-1) ?? false), partitions.map(() => false), 'a closed consumer reports itself not active');

  const b2 = await join('gw-b');
  const rejoined = await waitFor('2/2/2 again after rejoining', spreadAs([a, b2, c], [a, b2, c]));
  t.diagnostic(`rejoin: spread back to 2/2/2 ${rejoined} ms after the subscribes`);

  // A member killed: its client's sockets close with no CLOSE_CONSUMER; the broker notices the connection end.
  const b2Before = b2.events.map((e) => e.length);
  start = Date.now();
  await b2.client.close();
  const afterKill = await waitFor('survivors hold every partition after a kill', spreadAs([a, b2, c], [a, c]));
  t.diagnostic(`kill: survivors hold all 6 partitions (3/3) ${Date.now() - start} ms after the sockets closed`);
  assert.ok(afterKill < 5000);
  b2.events.forEach((e, i) => {
    const since = e.slice(b2Before[i]);
    assert.deepEqual(since, i % 3 === 1 ? [false] : [], `partition ${i}: a held partition is reported lost once, others not at all`);
  });

  const b3 = await join('gw-b');
  await waitFor('2/2/2 after gw-b joins again', spreadAs([a, b3, c], [a, b3, c]));

  // A connection dropped under a live client: not active while detached, then the broker's word again.
  const cBefore = c.events.map((e) => e.length);
  start = Date.now();
  await dropConnection(c.client, partitions[0]!);
  assert.equal(held(c), 0, 'detached consumers report themselves not active at once');
  const back = await waitFor('gw-c active again after re-subscribing', spreadAs([a, b3, c], [a, b3, c]));
  t.diagnostic(`dropped connection: gw-c re-subscribed and active again on its 2 partitions after ${back} ms`);
  c.events.forEach((e, i) => {
    const since = e.slice(cBefore[i]);
    if (i % 3 === 2) assert.ok(since[0] === false && since.at(-1) === true, `partition ${i} held by gw-c: lost on the drop, then regained: ${JSON.stringify(since)}`);
    else assert.deepEqual(since, [], `partition ${i}: never gw-c's`);
  });
});

test('exclusive producers: Exclusive is refused while held, WaitForExclusive waits and gets the topic when the holder closes or dies', { timeout: 60_000 }, async (t: TestContext) => {
  const base = `${namespace}/leader`;
  await admin.ensurePartitionedTopic(base, 2);
  const topic = `persistent://${base}-partition-1`;
  const [ca, cb, cc] = [newClient(), newClient(), newClient()];

  const a = await PulsarProducer.create(ca, topic, { accessMode: 'Exclusive' });
  await a.send({ payload: Buffer.from('a1') });
  await assert.rejects(PulsarProducer.create(cb, topic, { accessMode: 'Exclusive' }),
    (err: unknown) => err instanceof PulsarServerError && err.code === 25, 'ProducerFenced while another holds the topic');
  await assert.rejects(PulsarProducer.create(cb, topic), (err: unknown) => err instanceof PulsarServerError && err.code === 16, 'Shared: ProducerBusy');

  // A waiter that gives up before the topic frees leaves the broker's queue without taking the topic later.
  const gaveUp = PulsarProducer.create(cc, topic, { accessMode: 'WaitForExclusive', signal: AbortSignal.timeout(500) });
  await sleep(100);
  let bReady = 0;
  const waiting = PulsarProducer.create(cb, topic, { accessMode: 'WaitForExclusive', signal: AbortSignal.timeout(20_000) })
    .then((p) => { bReady = Date.now(); return p; });
  await assert.rejects(gaveUp, (err: Error) => err.name === 'TimeoutError');
  await sleep(300);
  assert.equal(bReady, 0, 'B waits while A holds the topic');

  const closedAt = Date.now();
  await a.close();
  const b = await waiting;
  t.diagnostic(`close: the waiting producer got the topic ${bReady - closedAt} ms after A began closing`);
  assert.ok(bReady - closedAt < 1000);
  await b.send({ payload: Buffer.from('b1') });
  await assert.rejects(a.send({ payload: Buffer.from('a2') }), /closed/);

  // Kill-style: the holder's sockets close with no CLOSE_PRODUCER.
  const d = newClient();
  let dReady = 0;
  const dWaiting = PulsarProducer.create(d, topic, { accessMode: 'WaitForExclusive' }).then((p) => { dReady = Date.now(); return p; });
  await sleep(300);
  assert.equal(dReady, 0);
  const killedAt = Date.now();
  await cb.close();
  const dp = await dWaiting;
  t.diagnostic(`kill: the waiting producer got the topic ${dReady - killedAt} ms after the holder's sockets closed`);
  assert.ok(dReady - killedAt < 1000);
  await dp.send({ payload: Buffer.from('d1') });
  await dp.close();
});

test('an exclusive producer re-attaches after a dropped connection only if no one took the topic meanwhile; otherwise it is fenced', { timeout: 60_000 }, async (t: TestContext) => {
  const topic = `persistent://${namespace}/fencing`;
  const [ca, cb, cc] = [newClient(), newClient(), newClient()];
  const fenced: PulsarProducerFencedError[] = [];
  const a = await PulsarProducer.create(ca, topic, { accessMode: 'Exclusive', onFenced: (e) => fenced.push(e) });
  await a.send({ payload: Buffer.from('a1') });

  // Nobody else wanted the topic: A comes back with its epoch and keeps it.
  await dropConnection(ca, topic);
  await a.send({ payload: Buffer.from('a2') });
  await assert.rejects(PulsarProducer.create(cb, topic, { accessMode: 'Exclusive' }), (err: unknown) => err instanceof PulsarServerError && err.code === 25);

  // B was waiting when A's connection dropped: B gets the topic, and A must not steal it back.
  let bReady = 0;
  const waiting = PulsarProducer.create(cb, topic, { accessMode: 'WaitForExclusive' }).then((p) => { bReady = Date.now(); return p; });
  await sleep(300);
  const droppedAt = Date.now();
  await dropConnection(ca, topic);
  const pendingDuringDrop = a.send({ payload: Buffer.from('a3') });
  const b = await waiting;
  t.diagnostic(`dropped holder connection: the waiting producer got the topic after ${bReady - droppedAt} ms`);
  await assert.rejects(pendingDuringDrop, PulsarProducerFencedError);
  await assert.rejects(a.send({ payload: Buffer.from('a4') }), PulsarProducerFencedError);
  assert.equal(fenced.length, 1);
  assert.equal(fenced[0]!.cause.code, 25);
  await b.send({ payload: Buffer.from('b1') });

  // Fenced by ExclusiveWithFencing: B's sends fail with the typed error instead of hanging.
  const c = await PulsarProducer.create(cc, topic, { accessMode: 'ExclusiveWithFencing' });
  await c.send({ payload: Buffer.from('c1') });
  const fencedAt = Date.now();
  await assert.rejects(b.send({ payload: Buffer.from('b2') }), PulsarProducerFencedError);
  t.diagnostic(`fenced producer's send failed after ${Date.now() - fencedAt} ms`);
  await c.close();
});
