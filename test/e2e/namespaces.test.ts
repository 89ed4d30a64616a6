import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayPerFile } from '../support/file-gateway.js';
import { JavaHarness, deliveries } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// Clients with a namespace set: their topics and groups are prefixed `ns%`, and so are the retry and
// dead-letter topics the gateway makes for them.
// Unique per run: on the Pulsar store a client namespace is a Pulsar namespace shared by every gateway.
const NS = `tenant${Date.now().toString(36)}`;

const file = gatewayPerFile({ args: ['--message-delay-level', '500ms 500ms 500ms 500ms'] });


test('a namespaced producer and consumer exchange messages, retries included, under ns% names', { timeout: 120_000 }, async () => {
  const c = JavaHarness.start('push-consume', { namesrv: file.gw.address, namespace: NS, topic: 'NsTopic', group: 'NsGroup', 'fail-times': 1, 'timeout-ms': 110_000 });
  file.track(c);
  await c.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'consumer ready');
  // Let the first rebalance settle: a queue re-assigned while messages flow may legitimately redeliver.
  await new Promise((r) => setTimeout(r, 3000));
  const sent = await JavaHarness.run('produce', { namesrv: file.gw.address, namespace: NS, topic: 'NsTopic', count: 10, mode: 'sync' });
  assert.equal(sent.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, 10);
  await c.waitFor((e) => deliveries(e).length >= 20, 60_000, 'each message delivered, failed once, and redelivered');
  const got = deliveries(c.events);
  assert.ok(got.every((m) => m.topic === 'NsTopic'), 'the client sees its topic without the namespace');
  for (let i = 0; i < 10; i++) {
    const mine = got.filter((m) => (m.props as Record<string, string>).idx === String(i));
    assert.deepEqual(mine.map((m) => Number(m.reconsumeTimes)).sort(), [0, 1], `message ${i}: first delivery and one retry`);
  }

  const probe = await RemotingProbe.connect(file.gw.address);
  try {
    const list = JSON.parse((await probe.invoke(206, {})).body!.toString()) as { topicList: string[] };
    assert.ok(list.topicList.includes(`${NS}%NsTopic`), `topics: ${list.topicList.join(', ')}`);
    assert.ok(list.topicList.includes(`%RETRY%${NS}%NsGroup`), 'the retry topic carries the namespace');
    assert.ok(!list.topicList.includes('NsTopic'), 'nothing outside the namespace');
  } finally {
    probe.close();
  }
});
