import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';

// Transactions with Apache RocketMQ's TransactionMQProducer: committed messages become visible exactly
// once, rolled-back ones never, and unknown ones are checked back with the producer, also across a restart.
const CHECKS = ['--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '2000'];
const idxOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).idx);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function harnesses(gw: GatewayProcess, topic: string, t: { after(fn: () => Promise<void>): void }) {
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic, group: `${topic}Readers`, 'timeout-ms': 170_000 });
  t.after(() => consumer.stop());
  await consumer.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'consumer ready');
  return consumer;
}

test('commit, rollback, and unknown answered by a check: exactly the committed messages are delivered, once', { timeout: 150_000 }, async (t) => {
  const gw = await startGateway({ args: CHECKS });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const consumer = await harnesses(gw, 'TxTopic', t);
  const producer = JavaHarness.start('tx-produce', { namesrv: gw.address, topic: 'TxTopic', group: 'TxProducers', count: 40, decisions: 'commit,rollback,unknown:commit,unknown:rollback', 'timeout-ms': 140_000 });
  t.after(() => producer.stop());
  await producer.waitFor((e) => e.some((x) => x.event === 'sent-all'), 60_000, 'all transactional sends');
  assert.equal(producer.events.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, 40);

  const committed = Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 === 0 || i % 4 === 2);
  await consumer.waitFor((e) => deliveries(e).length >= committed.length, 60_000, `${committed.length} committed messages`);
  await producer.waitFor((e) => e.filter((x) => x.event === 'checked').length >= 20, 30_000, 'every unknown transaction checked');
  await sleep(4000);
  assert.deepEqual(deliveries(consumer.events).map(idxOf).sort((a, b) => a - b), committed, 'committed ones exactly once, rolled-back ones never');
  const checked = new Set(producer.events.filter((e) => e.event === 'checked').map((e) => Number(e.idx)));
  assert.deepEqual([...checked].sort((a, b) => a - b), Array.from({ length: 40 }, (_, i) => i).filter((i) => i % 4 >= 2), 'only unknown ones are checked back');
});

test('a transaction left unknown survives a gateway restart and is committed by the check that follows', { timeout: 150_000 }, async (t) => {
  let gw = await startGateway({ args: ['--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '4000'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const producer = JavaHarness.start('tx-produce', { namesrv: gw.address, topic: 'TxRestartTopic', group: 'TxRestartProducers', count: 10, decisions: 'unknown:commit', 'timeout-ms': 140_000 });
  t.after(() => producer.stop());
  await producer.waitFor((e) => e.some((x) => x.event === 'sent-all'), 60_000, 'all transactional sends');
  await gw.stop();
  gw = await startGateway({ dataDir: gw.dataDir, port: gw.port, args: ['--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '4000'] });
  const consumer = await harnesses(gw, 'TxRestartTopic', t);
  await consumer.waitFor((e) => deliveries(e).length >= 10, 60_000, '10 messages committed by checks after the restart');
  await sleep(4000);
  assert.deepEqual(deliveries(consumer.events).map(idxOf).sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i), 'each exactly once');
});
