import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway } from '../support/gateway.js';
import { Java5Harness } from '../support/java5-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { brokerAddressesOf } from '../support/cluster.js';
import { decodeStoredMessages } from '../../src/protocol/message-codec.js';

// Apache RocketMQ's 5.x Java client against a gateway with default flags (TLS and plaintext on one port; the client
// with its default, TLS on): a body of exactly --max-message-size (4 MiB) goes through as every message type, as it
// does through Apache's proxy, and one byte more is refused MESSAGE_BODY_TOO_LARGE.
const FOUR_MIB = 4 * 1024 * 1024;

test('the 5.x Java client sends a 4 MiB body as a normal, FIFO, delayed and transactional message; 4 MiB + 1 is refused', { timeout: 180_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--default-queues', '1'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const endpoints = gw.grpcAddress!;
  const sent = (events: Array<Record<string, unknown>>) => events.filter((e) => e.event === 'sent');
  for (const [kind, extra] of [['Normal', {}], ['Fifo', { group: 'order-1' }], ['Delayed', { 'delay-ms': 500 }]] as const) {
    const events = await Java5Harness.run('produce', { endpoints, topic: `Big${kind}`, count: 1, 'body-bytes': FOUR_MIB, tls: true, ...extra });
    assert.equal(sent(events).length, 1, `${kind}: ${JSON.stringify(events.filter((e) => e.event === 'error'))}`);
  }
  const tx = Java5Harness.start('tx-produce', { endpoints, topic: 'BigTransactional', count: 1, 'body-bytes': FOUR_MIB, tls: true, decisions: 'commit', 'timeout-ms': 60_000 });
  t.after(() => tx.stop());
  await tx.waitFor((e) => e.some((x) => x.event === 'sent-all'), 60_000, 'the transactional send');
  assert.equal(sent(tx.events).length, 1, tx.describe());

  for (const topic of ['BigNormal', 'BigFifo', 'BigTransactional']) {
    const deadline = Date.now() + 10_000;
    let bodies: number[] = [];
    // Queue 0 of whichever broker took it (one, or one per worker with --workers).
    while (bodies.length === 0 && Date.now() < deadline) {
      for (const address of await brokerAddressesOf(gw.address, topic)) {
        const probe = await RemotingProbe.connect(address);
        const r = await probe.invoke(11, { consumerGroup: 'BigReaders', topic, queueId: '0', queueOffset: '0', maxMsgNums: '1', sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '0' }).finally(() => probe.close());
        bodies.push(...(r.code === 0 ? decodeStoredMessages(r.body!).map((m) => m.body.length) : []));
      }
      if (bodies.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(bodies, [FOUR_MIB], `${topic}: stored whole`);
  }

  const over = Java5Harness.start('produce', { endpoints, topic: 'BigNormal', count: 1, 'body-bytes': FOUR_MIB + 1, tls: true });
  await assert.rejects(over.finish(60_000), /exited with 1/);
  assert.equal(sent(over.events).length, 0);
  const error = JSON.stringify(over.events.filter((e) => e.event === 'error'));
  assert.match(error, /41301|MESSAGE_BODY_TOO_LARGE|body size|exceed/i, error);
});
