import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness } from '../support/java-harness.js';

// DefaultMQProducer.request(): the responder's reply (SEND_REPLY_MESSAGE_V2) is pushed back to the
// requesting client (PUSH_REPLY_MESSAGE_TO_CLIENT) over its own connection.
let gw: GatewayProcess;
let responder: JavaHarness | undefined;

before(async () => {
  gw = await startGateway();
});

after(async () => {
  await responder?.stop();
  await gw.stop();
  gw.cleanup();
});

test('request() gets the reply its responder sends, for each of 20 requests', { timeout: 120_000 }, async () => {
  responder = JavaHarness.start('respond', { namesrv: gw.address, topic: 'RequestTopic', group: 'Responders', 'timeout-ms': 110_000 });
  await responder.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'responder ready');
  // The responder joins at the last offset: give its first rebalance time to settle before asking.
  await new Promise((r) => setTimeout(r, 3000));
  const events = await JavaHarness.run('request', { namesrv: gw.address, topic: 'RequestTopic', count: 20, 'timeout-ms': 10_000 });
  const replies = events.filter((e) => e.event === 'reply');
  assert.deepEqual(events.filter((e) => e.event === 'error'), [], 'no request failed');
  assert.equal(replies.length, 20);
  for (const r of replies) {
    assert.equal(r.body, `reply-to-request-${r.i}`);
    assert.equal(r.idx, String(r.i));
  }
});
