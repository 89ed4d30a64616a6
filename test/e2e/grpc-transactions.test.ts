import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { JavaHarness, deliveries } from '../support/java-harness.js';
import { Rocketmq5Clients } from '../support/rocketmq5.js';

// Transactional messages of RocketMQ 5 clients (gRPC): a half message stays out of sight until its producer
// commits it; a rollback drops it; one left unknown is checked back down the producer's telemetry stream.
// Whichever protocol sent it, exactly the committed messages reach 4.x and 5.x consumers, once.
const CHECKS = ['--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '2000'];
/** apache.rocketmq.v2.TransactionResolution, as the Node client's checker answers */
const COMMIT = 1;
const ROLLBACK = 2;
const DECISIONS = ['commit', 'rollback', 'unknown:commit', 'unknown:rollback'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Receives and acks until `expected` messages arrived, then a little longer to see that nothing more comes. */
async function receiveAll(clients: Rocketmq5Clients, group: string, topic: string, expected: number) {
  const consumer = clients.simpleConsumer(group, topic, { awaitDuration: 2000 });
  await consumer.startup();
  const got = new Map<string, { idx: number; body: string }>();
  const until = Date.now() + 40_000;
  let quietRounds = 0;
  while (Date.now() < until && (got.size < expected || quietRounds < 2)) {
    const batch = await consumer.receive(32, 10_000);
    quietRounds = got.size >= expected && batch.length === 0 ? quietRounds + 1 : 0;
    for (const m of batch) {
      assert.ok(!got.has(m.messageId), `message ${m.messageId} delivered once`);
      got.set(m.messageId, { idx: Number(m.properties.get('idx')), body: m.body.toString() });
      await consumer.ack(m);
    }
  }
  return got;
}

test('RocketMQ 5 transactions: commit, rollback, unknown resolved by a check; 4.x and 5.x consumers see exactly the committed ones', { timeout: 150_000 }, async (t) => {
  const topic = 'GrpcTxTopic';
  const gw = await startGateway({ grpc: true, args: CHECKS });
  const clients = new Rocketmq5Clients(gw, t);
  const checked: Array<{ idx: number; messageId: string; topic: string; body: string }> = [];
  const producer = clients.producer([topic], {
    checker: {
      async check(m: { messageId: string; topic: string; body: Buffer; properties: Map<string, string> }) {
        checked.push({ idx: Number(m.properties.get('idx')), messageId: m.messageId, topic: m.topic, body: m.body.toString() });
        return m.properties.get('check') === 'commit' ? COMMIT : ROLLBACK;
      },
    },
  });
  const remoting = JavaHarness.start('push-consume', { namesrv: gw.address, topic, group: 'GrpcTxRemotingReaders', 'timeout-ms': 120_000 });
  t.after(() => remoting.stop());
  await producer.startup();
  await remoting.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'the 4.x consumer is ready');

  const ids = new Map<number, string>();
  for (let i = 0; i < 12; i++) {
    const [decision, answer] = DECISIONS[i % DECISIONS.length]!.split(':');
    const tx = producer.beginTransaction();
    const receipt = await producer.send({ topic, keys: [`tx-${i}`], body: Buffer.from(`tx-body-${i}`), properties: new Map([['idx', String(i)], ['check', answer ?? decision!]]) }, tx);
    ids.set(i, receipt.messageId);
    if (decision === 'commit') await tx.commit();
    if (decision === 'rollback') await tx.rollback();
  }
  const committed = [...ids.keys()].filter((i) => i % 4 === 0 || i % 4 === 2);
  const unknown = [...ids.keys()].filter((i) => i % 4 >= 2);

  await remoting.waitFor((e) => deliveries(e).length >= committed.length, 60_000, `${committed.length} committed messages at the 4.x consumer`);
  const deadline = Date.now() + 30_000;
  while (new Set(checked.map((c) => c.idx)).size < unknown.length && Date.now() < deadline) await sleep(200);
  await sleep(3000);

  const byRemoting = deliveries(remoting.events);
  assert.deepEqual(byRemoting.map((d) => Number((d.props as Record<string, string>).idx)).sort((a, b) => a - b), committed, 'committed ones exactly once, rolled-back ones never');
  for (const d of byRemoting) {
    const idx = Number((d.props as Record<string, string>).idx);
    assert.equal(d.msgId, ids.get(idx), 'the 4.x msgId is the v5 message id');
    assert.equal(Buffer.from(d.bodyBase64 as string, 'base64').toString(), `tx-body-${idx}`);
    assert.equal(d.keys, `tx-${idx}`);
  }

  assert.deepEqual([...new Set(checked.map((c) => c.idx))].sort((a, b) => a - b), unknown, 'only unknown ones are checked back');
  for (const c of checked) {
    assert.equal(c.messageId, ids.get(c.idx), 'a check names the message the producer sent');
    assert.equal(c.topic, topic, 'a check shows the message\'s own topic, not the half topic');
    assert.equal(c.body, `tx-body-${c.idx}`);
  }

  const byGrpc = await receiveAll(clients, 'GrpcTxReaders', topic, committed.length);
  assert.deepEqual([...byGrpc.values()].map((m) => m.idx).sort((a, b) => a - b), committed);
  for (const [id, m] of byGrpc) assert.equal(id, ids.get(m.idx));
});

test('a 4.x transactional producer\'s committed messages reach a RocketMQ 5 consumer', { timeout: 120_000 }, async (t) => {
  const topic = 'RemotingTxToGrpc';
  const gw = await startGateway({ grpc: true, args: CHECKS });
  const clients = new Rocketmq5Clients(gw, t);
  const producer = JavaHarness.start('tx-produce', { namesrv: gw.address, topic, group: 'RemotingTxProducers', count: 8, decisions: DECISIONS.join(','), 'timeout-ms': 100_000 });
  t.after(() => producer.stop());
  await producer.waitFor((e) => e.some((x) => x.event === 'sent-all'), 60_000, 'all transactional sends');
  await producer.waitFor((e) => e.filter((x) => x.event === 'checked').length >= 4, 30_000, 'the unknown ones checked back');
  const got = await receiveAll(clients, 'RemotingTxGrpcReaders', topic, 4);
  assert.deepEqual([...got.values()].map((m) => m.idx).sort((a, b) => a - b), [0, 2, 4, 6]);
  for (const m of got.values()) assert.equal(m.body, `tx-${m.idx}`);
});
