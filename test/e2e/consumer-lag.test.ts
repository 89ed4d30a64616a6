import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { lagAcross } from '../support/cluster.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';

// Lag as monitoring computes it, sum over queues of GET_MAX_OFFSET - QUERY_CONSUMER_OFFSET, must be
// exactly the number of messages the group has not consumed: after batches, and after a restart.
const TOPIC = 'LagTopic';
const GROUP = 'LagGroup';
const QUEUES = 4;

const lag = (namesrv: string): Promise<number> => lagAcross(namesrv, GROUP, TOPIC, QUEUES);

async function produce(address: string, mode: 'sync' | 'batch', count: number): Promise<void> {
  const events = await JavaHarness.run('produce', { namesrv: address, topic: TOPIC, count, mode, 'batch-size': 25 });
  assert.equal(events.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, count, `${mode}: all ${count} SEND_OK`);
}

/** Runs a push consumer of the group until it has `count` deliveries, then shuts it down (which commits its offsets). */
async function consume(address: string, count: number): Promise<HarnessEvent[]> {
  const c = JavaHarness.start('push-consume', { namesrv: address, topic: TOPIC, group: GROUP, 'timeout-ms': 120_000 });
  try {
    await c.waitFor((e) => deliveries(e).length >= count, 60_000, `${count} deliveries`);
    await new Promise((r) => setTimeout(r, 1000));
  } finally {
    await c.stop();
  }
  return deliveries(c.events);
}

test('consumer lag (max offset minus committed offset) counts exactly the unconsumed messages, after batches and a restart', { timeout: 240_000 }, async (t) => {
  let gw: GatewayProcess = await startGateway({ args: ['--default-queues', String(QUEUES)] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  await produce(gw.address, 'batch', 200);
  await produce(gw.address, 'sync', 60);
  const first = await consume(gw.address, 260);
  assert.equal(first.length, 260, 'the group consumed everything sent so far');
  assert.equal(await lag(gw.address), 0, 'no lag once everything is consumed');

  await produce(gw.address, 'batch', 100);
  await produce(gw.address, 'sync', 37);
  assert.equal(await lag(gw.address), 137, 'lag is the 137 messages sent since');

  await gw.stop();
  gw = await startGateway({ dataDir: gw.dataDir, args: ['--default-queues', String(QUEUES)] });
  assert.equal(await lag(gw.address), 137, 'the same lag after a gateway restart');

  const rest = await consume(gw.address, 137);
  assert.equal(rest.length, 137, 'the group gets exactly the unconsumed messages');
  assert.deepEqual(new Set(rest.map((m) => `${String(m.broker)}/${m.queueId}:${m.queueOffset}`)).size, 137, 'none twice');
  assert.equal(await lag(gw.address), 0);
});
