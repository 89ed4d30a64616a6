import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { GoHarness } from '../support/go-harness.js';
import { JavaHarness, deliveries, expectedMessage, filterProps, type HarnessEvent } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';

// Apache RocketMQ's Go client (rocketmq-client-go v2.1.2, the 4.x remoting protocol) against the gateway, through
// test/harness/go4. Its push consumer subscribes in its heartbeat only: each pull carries no subscription (sysFlag
// without the subscription bit, `subscription` empty, `expressionType` TAG even for SQL92), so the gateway filters by
// what the heartbeat registered. It filters again by tag itself, but never by SQL92: what an SQL92 consumer gets is
// what the gateway chose.
const QUEUES = 4;
let gw: GatewayProcess;
const running: GoHarness[] = [];

before(async () => {
  gw = await startGateway({ args: ['--default-queues', String(QUEUES)] });
});

after(async () => {
  await Promise.all(running.map((h) => h.stop()));
  await gw.stop();
  gw.cleanup();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function goConsumer(options: Record<string, string>): GoHarness {
  const h = GoHarness.start('push-consume', { namesrv: gw.address, 'timeout-ms': 170_000, ...options });
  running.push(h);
  return h;
}

const indexOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).idx);

/**
 * Waits until `consumer` has had every message of `expected` (by producer index), or `timeoutMs` passed; never throws,
 * so that the assertions after it say what was missing.
 */
async function awaitAll(consumer: GoHarness, expected: Set<number>, timeoutMs: number): Promise<void> {
  const seen = (): number => new Set(deliveries(consumer.events).map(indexOf).filter((i) => expected.has(i))).size;
  await consumer.waitFor(() => seen() === expected.size, timeoutMs, `${expected.size} deliveries`).catch(() => undefined);
}

/**
 * Polls the group's lag (the sum over the topic's queues of max offset minus committed offset) until it is 0 or
 * `timeoutMs` passed, and returns the last. A queue whose last messages did not match gets its committed offset moved
 * to the end only once the consumer's next pull, held up to its 20 s suspend time, answers "no new message", and the
 * client then commits it within 5 s.
 */
async function lagAfter(group: string, topic: string, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lag = await RemotingProbe.lag(gw.address, group, topic, QUEUES);
    if (lag === 0 || Date.now() >= deadline) return lag;
    await sleep(500);
  }
}

/** Exactly the expected messages, each once, each as the producer sent it (body byte for byte, tags, keys, properties). */
function assertExactly(got: HarnessEvent[], expected: Set<number>, tags: string[], withFilterProps: boolean, what: string): void {
  const indexes = got.map(indexOf);
  const unexpected = indexes.filter((i) => !expected.has(i));
  const missing = [...expected].filter((i) => !indexes.includes(i));
  assert.ok(
    unexpected.length === 0 && missing.length === 0,
    `${what}: got ${got.length} messages, ${expected.size - missing.length} of the ${expected.size} that match ` +
      `(missing ${JSON.stringify(missing.slice(0, 20))}${missing.length > 20 ? '...' : ''}), ` +
      `and ${unexpected.length} that do not (${JSON.stringify(unexpected.slice(0, 20))}${unexpected.length > 20 ? '...' : ''})`,
  );
  assert.equal(got.length, expected.size, `${what}: no message twice`);
  assert.equal(new Set(got.map((m) => `${String(m.broker)}/${m.queueId}:${m.queueOffset}`)).size, got.length, `${what}: no queue offset twice`);
  for (const m of got) {
    const i = indexOf(m);
    const want = expectedMessage(i, tags);
    assert.equal(m.bodyBase64, want.body.toString('base64'), `${what}: body of message ${i}`);
    assert.equal(m.tags, want.tags, `${what}: tags of message ${i}`);
    assert.equal(m.keys, want.keys, `${what}: keys of message ${i}`);
    assert.deepEqual(m.props, { ...want.props, ...(withFilterProps ? filterProps(i) : {}) }, `${what}: user properties of message ${i}`);
    assert.equal(m.reconsumeTimes, 0, `${what}: message ${i} is a first delivery`);
  }
}

test('Go producer to Go push consumer with a tag subscription: exactly the TagA messages, intact, offsets committed to the end', { timeout: 150_000 }, async () => {
  const topic = 'GoTags';
  const group = 'GoTagGroup';
  const tags = ['TagA', 'TagB', 'TagC'];
  const count = 60;
  const sent = await GoHarness.run('produce', { namesrv: gw.address, topic, count, tags: tags.join(',') });
  const ok = sent.filter((e) => e.event === 'sent' && e.status === 'SEND_OK');
  assert.equal(ok.length, count, `all ${count} sends SEND_OK: ${JSON.stringify(sent.filter((e) => e.event === 'error').slice(0, 3))}`);
  assert.equal(new Set(ok.map((e) => e.msgId)).size, count, 'distinct msgIds');
  assert.deepEqual(new Set(ok.map((e) => e.queueId)), new Set([0, 1, 2, 3]), 'sends spread over the 4 queues');

  const expected = new Set([...Array(count).keys()].filter((i) => expectedMessage(i, tags).tags === 'TagA'));
  const consumer = goConsumer({ topic, group, sub: 'TagA' });
  await consumer.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'the Go consumer started');
  await awaitAll(consumer, expected, 60_000);
  const lag = await lagAfter(group, topic, 45_000);
  await consumer.stop();
  assert.ok(consumer.of('stopped').length === 1, `the Go consumer shut down cleanly: ${consumer.describe()}`);
  assertExactly(deliveries(consumer.events), expected, tags, false, 'TagA');
  assert.ok(deliveries(consumer.events).every((m) => m.topic === topic), 'every message is of the subscribed topic');
  assert.equal(lag, 0, 'the group committed every queue to its end');
});

test('Java producer to Go push consumers with SQL92 subscriptions: exactly the matching messages, each once, offsets committed to the end', { timeout: 180_000 }, async () => {
  const topic = 'GoSql';
  const tags = ['TagA', 'TagB'];
  const count = 200;
  const sent = await JavaHarness.run('produce', { namesrv: gw.address, topic, count, tags: tags.join(','), 'filter-props': 'true' });
  assert.equal(sent.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, count, `all ${count} sends SEND_OK`);

  // The expected sets come from the property scheme (java-harness.ts filterProps), not from any SQL engine.
  const indexes = [...Array(count).keys()];
  const cases = [
    { group: 'GoSqlA', sql: 'a > 5', matches: (i: number) => Number(filterProps(i).a) > 5 },
    {
      group: 'GoSqlD',
      // d is missing from every third message: IS NOT NULL must drop those, whatever d >= 2 makes of a missing d.
      sql: "d IS NOT NULL AND d >= 2 AND TAGS = 'TagA'",
      matches: (i: number) => filterProps(i).d !== undefined && Number(filterProps(i).d) >= 2 && expectedMessage(i, tags).tags === 'TagA',
    },
  ].map((c) => ({ ...c, expected: new Set(indexes.filter(c.matches)) }));
  assert.equal(cases[0]!.expected.size, 80, 'a > 5 selects the 80 messages with i % 10 in 6..9');
  assert.equal(cases[1]!.expected.size, 33, 'the d expression selects 33 messages');

  const consumers = cases.map((c) => goConsumer({ topic, group: c.group, sql: c.sql }));
  await Promise.all(consumers.map((h, k) => h.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, `the Go consumer of ${cases[k]!.sql} started`)));
  await Promise.all(consumers.map((h, k) => awaitAll(h, cases[k]!.expected, 60_000)));
  const lags = await Promise.all(cases.map((c) => lagAfter(c.group, topic, 45_000)));
  await Promise.all(consumers.map((h) => h.stop()));
  cases.forEach((c, k) => {
    assert.equal(consumers[k]!.of('error').length, 0, `${c.sql}: the Go consumer reported no error: ${consumers[k]!.describe()}`);
    assertExactly(deliveries(consumers[k]!.events), c.expected, tags, true, c.sql);
    assert.equal(lags[k], 0, `${c.sql}: the group committed every queue to its end`);
  });
});
