import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startGateway, adminOfWorkerZeroOnly } from '../support/gateway.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { launchChromium, waitForText } from '../support/chromium.js';

// Apache's 4.9 Java producer and push consumer with their message trace on write Pub, SubBefore and SubAfter records
// to RMQ_SYS_TRACE_TOPIC; GET /api/trace assembles them per message, found by msgId, offsetMsgId or key.
const TOPIC = 'TracedTopic';
const PRODUCER_GROUP = 'TracedProducers';
const CONSUMER_GROUP = 'TracedConsumers';
const COUNT = 3;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('the trace of a message: who published it, when and where it was stored, which group consumed it and how', { timeout: 120_000, skip: adminOfWorkerZeroOnly }, async (t) => {
  const gw = await startGateway({ http: true, args: ['--default-queues', '2'] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const api = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(gw.httpUrl + path, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: await res.json() };
  };

  const before = Date.now();
  const produced = await JavaHarness.run('produce', { namesrv: gw.address, topic: TOPIC, group: PRODUCER_GROUP, count: COUNT, tags: 'TagT', trace: 'true' });
  const sent = produced.filter((e) => e.event === 'sent' && e.status === 'SEND_OK');
  assert.equal(sent.length, COUNT);
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: TOPIC, group: CONSUMER_GROUP, trace: 'true', 'timeout-ms': 100_000 });
  let delivered: HarnessEvent[];
  try {
    await consumer.waitFor((e) => deliveries(e).length >= COUNT, 60_000, `${COUNT} deliveries`);
    delivered = deliveries(consumer.events);
    // The consumer's trace records go out within half a second of being made; polling waits for them.
    const target = sent[1]!;
    let trace: any;
    for (const deadline = Date.now() + 30_000; ;) {
      trace = (await api(`/api/trace?msgId=${target.msgId}`)).body;
      const m = trace.messages?.[0];
      if (m?.published.length === 1 && m.consumed[0]?.attempts[0]?.status === 'success') break;
      if (Date.now() > deadline) assert.fail(`no complete trace of ${String(target.msgId)} after 30 s: ${JSON.stringify(trace)}`);
      await sleep(300);
    }
    const after = Date.now();
    assert.equal(trace.traceTopic, 'RMQ_SYS_TRACE_TOPIC');
    assert.equal(trace.messages.length, 1);
    const m = trace.messages[0];
    assert.equal(m.msgId, target.msgId);
    assert.equal(m.topic, TOPIC);
    assert.equal(m.tags, 'TagT');
    assert.equal(m.keys, 'key-1 k2-1');
    const [pub] = m.published;
    assert.equal(pub.group, PRODUCER_GROUP, 'the producer group');
    assert.match(pub.clientHost, /^127\.0\.0\.1:\d+$/, 'the producing client\'s address');
    assert.equal(pub.storeHost, gw.address, 'stored by this gateway');
    assert.equal(pub.offsetMsgId, target.offsetMsgId);
    assert.equal(pub.success, true);
    assert.equal(pub.msgType, 'Normal');
    assert.ok(pub.timestamp >= before && pub.timestamp <= after, `published at ${pub.timestamp}, within the run`);
    assert.ok(pub.costMs >= 0);

    assert.deepEqual(m.consumed.map((c: any) => c.group), [CONSUMER_GROUP]);
    const [attempt] = m.consumed[0].attempts;
    const delivery = delivered.find((d) => d.msgId === target.msgId)!;
    assert.ok(delivery, 'the consumer got the message');
    const deliveredAt = Number(delivery.atMicros) / 1000;
    assert.equal(attempt.status, 'success');
    assert.equal(attempt.returnType, 'SUCCESS');
    assert.equal(attempt.retryTimes, 0);
    assert.match(attempt.clientHost, /^127\.0\.0\.1:\d+$/);
    assert.ok(attempt.beginTimestamp <= deliveredAt + 1 && deliveredAt <= attempt.endTimestamp + 1,
      `the listener ran (at ${deliveredAt}) between SubBefore (${attempt.beginTimestamp}) and SubAfter (${attempt.endTimestamp})`);
    assert.ok(attempt.costMs >= 0 && attempt.costMs <= attempt.endTimestamp - attempt.beginTimestamp + 1);

    // The same trace by the offsetMsgId the send returned, and by the message's key.
    const byOffsetId = (await api(`/api/trace?msgId=${target.offsetMsgId}`)).body;
    assert.deepEqual(byOffsetId.messages, trace.messages);
    const byKey = (await api('/api/trace?key=k2-1')).body;
    assert.deepEqual(byKey.messages.map((x: any) => x.msgId), [target.msgId]);
    assert.equal(byKey.skippedRecords, 0);

    // The dashboard's trace view shows the same timeline.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      await page.goto(`${gw.httpUrl}/`);
      await page.getByTestId('trace-value').fill(String(target.msgId));
      await page.getByTestId('trace-submit').click();
      await waitForText(page.getByTestId('trace-status'), 'Trace of 1 message in RMQ_SYS_TRACE_TOPIC.', 'trace status');
      const shown = page.locator(`[data-testid="trace-message"][data-msgid="${String(target.msgId)}"]`);
      await waitForText(shown.getByTestId('trace-pub-group'), PRODUCER_GROUP, 'publishing group');
      await waitForText(shown.getByTestId('trace-pub-client'), pub.clientHost, 'publishing client');
      await waitForText(shown.getByTestId('trace-pub-store'), gw.address, 'where it was stored');
      const group = shown.locator(`[data-testid="trace-group"][data-group="${CONSUMER_GROUP}"]`);
      await waitForText(group.getByTestId('trace-attempt-status'), 'success', 'consume status');
      await waitForText(group.getByTestId('trace-attempt-client'), attempt.clientHost, 'consuming client');
      mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
      await page.getByTestId('trace-results').screenshot({ path: join(repoRoot, 'test-results', 'dashboard-trace.png') });
    } finally {
      await browser.close();
    }
  } finally {
    await consumer.stop();
  }

  assert.equal((await api('/api/trace')).status, 400, 'neither msgId nor key');
  const elsewhere = await api(`/api/trace?msgId=${sent[0]!.msgId}&traceTopic=NoTraceHere`);
  assert.equal(elsewhere.status, 404);
  assert.match(elsewhere.body.error, /NoTraceHere does not exist/);
});
