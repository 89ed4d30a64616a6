import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { JavaHarness } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { ConsumeResult, Rocketmq5Clients } from '../support/rocketmq5.js';

// RocketMQ 5's PushConsumer (gRPC): assignments, auto-renewed pops, acks on success and nacks (a new invisible
// duration from the retry policy the server sent) on failure.
const TOPIC = 'PushTopic';
const GROUP = 'PushGroup';
const QUEUES = 2;

test('a RocketMQ 5 PushConsumer consumes a 4.x producer\'s messages; a failed one comes back with attempt 2', { timeout: 120_000 }, async (t) => {
  // Retries wait level 3 onward: one second here, so the failed message returns quickly.
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES), '--message-delay-level', '1s 1s 1s 1s 1s'] });
  const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic: TOPIC, count: 20, mode: 'sync' })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 20);
  const failOnce = sent[7]!.msgId as string;
  const seen: Array<{ id: string; attempt: number; at: number }> = [];
  const consumer = new Rocketmq5Clients(gw, t).pushConsumer(GROUP, TOPIC, {
    consume(m) {
      seen.push({ id: m.messageId, attempt: m.deliveryAttempt ?? 0, at: Date.now() });
      return m.messageId === failOnce && (m.deliveryAttempt ?? 1) === 1 ? ConsumeResult.FAILURE : ConsumeResult.SUCCESS;
    },
  });
  await consumer.startup();

  const deadline = Date.now() + 60_000;
  const lag = () => RemotingProbe.lag(gw.address, GROUP, TOPIC, QUEUES);
  while (Date.now() < deadline && (seen.length < 21 || (await lag()) > 0)) await new Promise((r) => setTimeout(r, 200));
  const ids = new Set(seen.map((s) => s.id));
  assert.equal(ids.size, 20, 'every message consumed');
  for (const s of sent) assert.ok(ids.has(s.msgId as string));
  const failed = seen.filter((s) => s.id === failOnce);
  assert.deepEqual(failed.map((s) => s.attempt), [1, 2], 'the failed message came back once, as attempt 2');
  assert.equal(seen.length, 21, 'nothing else delivered twice');
  assert.equal(await lag(), 0, 'all acked and committed');
});
