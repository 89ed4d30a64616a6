import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, expectedMessage, type HarnessEvent } from '../support/java-harness.js';

// What `mqadmin queryMsgByKey` and `queryMsgById` do, through the Java client's MQAdmin API (QUERY_MESSAGE).
let gw: GatewayProcess;
let sent: HarnessEvent[] = [];

before(async () => {
  gw = await startGateway();
  sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic: 'QueryTopic', count: 30, mode: 'sync', tags: 'TagQ' })).filter((e) => e.event === 'sent');
  assert.equal(sent.length, 30);
  // The same keys in another topic must not show up in QueryTopic's results.
  await JavaHarness.run('produce', { namesrv: gw.address, topic: 'OtherTopic', count: 10, mode: 'sync' });
});

after(async () => {
  await gw.stop();
  gw.cleanup();
});

const found = (events: HarnessEvent[]): HarnessEvent[] => events.filter((e) => e.event === 'msg');

test('query by key finds exactly the messages carrying that key in that topic', { timeout: 60_000 }, async () => {
  for (const [key, idx] of [['key-7', 7], ['k2-12', 12]] as const) {
    const got = found(await JavaHarness.run('query', { namesrv: gw.address, topic: 'QueryTopic', key }));
    assert.equal(got.length, 1, `${key}: one message`);
    assert.equal(got[0]!.topic, 'QueryTopic');
    assert.equal(got[0]!.bodyBase64, expectedMessage(idx, ['TagQ']).body.toString('base64'));
  }
  assert.deepEqual(found(await JavaHarness.run('query', { namesrv: gw.address, topic: 'QueryTopic', key: 'no-such-key' })), []);
});

test('query by message id (the client-side unique id) finds that message', { timeout: 60_000 }, async () => {
  const target = sent.find((e) => Number(e.i) === 3)!;
  const [m] = found(await JavaHarness.run('query', { namesrv: gw.address, topic: 'QueryTopic', 'msg-id': String(target.msgId) }));
  assert.ok(m, 'found');
  assert.equal(m.msgId, target.msgId);
  assert.equal((m.props as Record<string, string>).idx, '3');
});
