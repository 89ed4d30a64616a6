import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess, adminOfWorkerZeroOnly } from '../support/gateway.js';
import { JavaHarness, deliveries } from '../support/java-harness.js';
import { Java5Harness, assertProduced5, byId, received5, type Received5 } from '../support/java5-harness.js';
import type { HarnessEvent } from '../support/jar-process.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { lagAcross, maxOffsetAcross } from '../support/cluster.js';

// Apache RocketMQ's 5.x Java client beyond plain messages: a transactional Producer with its checker, a FIFO
// PushConsumer that retries a poison message locally and then dead-letters it, and the server's telemetry
// commands (thread stack, message verification) answered by a live PushConsumer, driven through the admin API.
const QUEUES = 2;

const sentOf = (events: HarnessEvent[]): HarnessEvent[] => events.filter((e) => e.event === 'sent');
const idx = (m: Received5): number => Number(m.properties.idx);

async function adminPost<T>(gw: GatewayProcess, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${gw.httpUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}), signal: AbortSignal.timeout(15_000) });
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return (await res.json()) as T;
}

test('RocketMQ 5.x Java client: transactions, FIFO with a dead letter, telemetry commands', { timeout: 150_000 }, async (t) => {
  const gw = await startGateway({
    grpc: true,
    http: true,
    args: [
      '--default-queues', String(QUEUES),
      // FIFO retries back off from the first retry delay: one second here.
      '--message-delay-level', '1s 1s 1s 1s 1s',
      // Halves left unresolved for 2 s are checked back every second.
      '--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '2000',
    ],
  });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const endpoints = gw.grpcAddress!;

  await t.test('a 5.x transactional Producer: committed messages reach a 4.x and a 5.x consumer once, only unknown ones are checked', async (t) => {
    const topic = 'Java5TxTopic';
    const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic, group: 'Java5TxReaders4', 'timeout-ms': 90_000 });
    t.after(() => consumer.stop());
    await consumer.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, '4.x consumer ready');
    const producer = Java5Harness.start('tx-produce', { endpoints, topic, count: 8, decisions: 'commit,rollback,unknown:commit,unknown:rollback', 'timeout-ms': 90_000 });
    t.after(() => producer.stop());
    await producer.waitFor((e) => e.some((x) => x.event === 'sent-all'), 30_000, 'all transactional sends');
    const sent = sentOf(producer.events);
    assert.equal(sent.length, 8, producer.describe());

    const committed = [0, 2, 4, 6];
    const checkedBack = [2, 3, 6, 7];
    await producer.waitFor((e) => new Set(e.filter((x) => x.event === 'checked').map((x) => x.idx)).size >= checkedBack.length, 30_000, 'every unknown transaction checked');
    await consumer.waitFor((e) => deliveries(e).length >= committed.length, 30_000, `${committed.length} committed messages`);
    // Run after every transaction is resolved: what it gets is all a group reading the topic will ever see.
    const got5 = received5(await Java5Harness.run('simple-consume', { endpoints, topic, group: 'Java5TxReaders5', expect: committed.length, 'timeout-ms': 30_000 }));

    const committedIds = sent.filter((s) => committed.includes(s.i as number)).map((s) => s.msgId);
    const got4 = deliveries(consumer.events);
    assert.deepEqual(got4.map((d) => d.msgId).sort(), [...committedIds].sort(), '4.x: the committed ones, once each, under the ids the producer got');
    for (const d of got4) assertProduced5({ bodyBase64: d.bodyBase64, props: d.props }, Number((d.props as Record<string, string>).idx));
    assert.deepEqual(got5.map((m) => m.msgId).sort(), [...committedIds].sort(), '5.x: the committed ones, once each');
    for (const m of got5) assertProduced5(m, idx(m));
    const checked = producer.of('checked');
    assert.deepEqual([...new Set(checked.map((c) => Number(c.idx)))].sort(), checkedBack, 'only the unknown ones are checked back');
    for (const c of checked) assert.equal(c.msgId, sent[Number(c.idx)]!.msgId, 'the checker sees the message it sent');
  });

  // It reads the dead letter back through the admin API, which speaks for worker 0 only under --workers.
  await t.test('a 5.x FIFO PushConsumer: one message group in send order; a poison message is retried in place, then dead-lettered', { skip: adminOfWorkerZeroOnly }, async () => {
    const topic = 'Java5FifoTopic';
    const group = 'Java5FifoGroup';
    await RemotingProbe.declareGroup(gw.address, { groupName: group, consumeMessageOrderly: true, retryMaxTimes: 2 });
    const sent = sentOf(await Java5Harness.run('produce', { endpoints, topic, count: 6, group: 'order-1' }));
    assert.equal(sent.length, 6);
    const got = received5(await Java5Harness.run('push-consume', { endpoints, topic, group, expect: 5, 'fail-always-idx': 2, 'timeout-ms': 40_000 }));
    // maxAttempts is retryMaxTimes + 1: message 2 is consumed three times before anything after it.
    assert.deepEqual(got.map((m) => [idx(m), m.deliveryAttempt]), [[0, 1], [1, 1], [2, 1], [2, 2], [2, 3], [3, 1], [4, 1], [5, 1]], 'send order, message 2 three times in a row');
    for (const m of got) {
      assertProduced5(m, idx(m));
      assert.equal(m.messageGroup, 'order-1');
    }

    assert.equal(await maxOffsetAcross(gw.address, `%DLQ%${group}`, 0), 1, 'message 2 was forwarded to the dead-letter topic');
    const dead = await (await fetch(`${gw.httpUrl}/api/messages?topic=${encodeURIComponent(`%DLQ%${group}`)}&queueId=0&offset=0`)).json() as { messages: Array<{ msgId: string; properties: Record<string, string> }> };
    assert.deepEqual(dead.messages.map((m) => [m.msgId, m.properties.idx]), [[sent[2]!.msgId, '2']], 'the dead letter is message 2, under its id');
    assert.equal(await lagAcross(gw.address, group, topic, QUEUES), 0, 'the dead-lettered message is acked with the rest');
  });

  await t.test('telemetry commands reach a live 5.x PushConsumer: its thread stack, and its listener verifying messages', { skip: adminOfWorkerZeroOnly }, async (t) => {
    const topic = 'Java5CommandTopic';
    const group = 'Java5CommandGroup';
    const push = Java5Harness.start('push-consume', { endpoints, topic, group, expect: 2, stay: true, 'fail-always-idx': 2, 'timeout-ms': 60_000 });
    t.after(() => push.stop());
    await push.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'push consumer ready');
    const sent = sentOf(await Java5Harness.run('produce', { endpoints, topic, count: 2 }));
    await push.waitFor((e) => e.some((x) => x.event === 'staying'), 30_000, 'both messages consumed');

    const { clients } = await (await fetch(`${gw.httpUrl}/api/grpc-clients`)).json() as { clients: Array<{ clientId: string; clientType: string; language: string; version: string; group?: string }> };
    const me = clients.find((c) => c.group === group);
    assert.ok(me, `the push consumer is listed: ${JSON.stringify(clients)}`);
    assert.deepEqual([me.clientType, me.language], ['PUSH_CONSUMER', 'JAVA']);
    assert.match(me.version, /^5\./);
    const client = `/api/grpc-clients/${encodeURIComponent(me.clientId)}`;

    const { threadStack } = await adminPost<{ threadStack: string }>(gw, `${client}/thread-stack`);
    // The harness's main thread waits for stdin to close: only that process's own stack shows this frame.
    assert.match(threadStack, /rop\.harness\.common\.Stdin\.awaitCloseOr/);
    assert.match(threadStack, /java\.lang\.Thread/);

    const target = sent[0]!;
    const before = byId(push.received).get(target.msgId as string)?.length ?? 0;
    const verdict = await adminPost<{ consumed: boolean; status: { code: string } }>(gw, `${client}/verify-message`, { msgId: target.msgId, topic });
    assert.deepEqual([verdict.consumed, verdict.status.code], [true, 'OK']);
    // The listener prints before it returns, but the line may reach us after the answer does.
    await push.waitFor(() => (byId(push.received).get(target.msgId as string)?.length ?? 0) > before, 5000, 'the listener running on the verified message');
    const again = byId(push.received).get(target.msgId as string)!;
    assert.equal(again.length, before + 1, 'the listener ran once more, on that message');
    const verified = again.at(-1)!;
    assertProduced5(verified, 0);
    assert.equal(verified.deliveryAttempt, 1, 'the verified message carries a delivery attempt, as Apache\'s proxy gives it (reconsume times + 1)');

    // A message the listener rejects (idx 2, from a topic it does not subscribe to, so nothing retries it).
    const other = sentOf(await Java5Harness.run('produce', { endpoints, topic: 'Java5CommandOther', count: 3 }));
    const refused = await adminPost<{ consumed: boolean; status: { code: string } }>(gw, `${client}/verify-message`, { msgId: other[2]!.msgId, topic: 'Java5CommandOther' });
    assert.deepEqual([refused.consumed, refused.status.code], [false, 'FAILED_TO_CONSUME_MESSAGE']);
    await push.waitFor(() => push.received.some((m) => m.msgId === other[2]!.msgId), 5000, 'the listener running on the refused message');
  });
});
