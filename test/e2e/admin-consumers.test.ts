import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, startGateway, adminOfWorkerZeroOnly } from '../support/gateway.js';
import { JavaHarness, deliveries } from '../support/java-harness.js';
import { mqadminOk } from '../support/mqadmin.js';
import { launchChromium, waitForText } from '../support/chromium.js';

// A live Apache 4.9 push consumer's running info through the admin API and the dashboard, as mqadmin consumerStatus
// gets it; and dead letters: a consumer that fails every delivery sends its messages to %DLQ%<group> after its
// retries, and re-sent from the API or the page they are consumed again by the group.
const TOPIC = 'StatusTopic';
const GROUP = 'StatusGroup';
const DOOMED_TOPIC = 'DoomedTopic';
const DOOMED_GROUP = 'DoomedGroup';
const QUEUES = 2;
const DOOMED = 2;
/** short delay levels, so that a retry comes back in a fraction of a second */
const DELAY_LEVELS = Array.from({ length: 18 }, (_, i) => `${(i + 1) * 100}ms`).join(' ');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a group\'s running info and dead letters, read and re-sent through the admin API and the dashboard', { timeout: 180_000, skip: adminOfWorkerZeroOnly }, async (t) => {
  const gw = await startGateway({ http: true, args: ['--default-queues', String(QUEUES), '--message-delay-level', DELAY_LEVELS] });
  t.after(async () => {
    await gw.stop();
    gw.cleanup();
  });
  const api = async (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(gw.httpUrl + path, {
      method, body: body === undefined ? undefined : JSON.stringify(body),
      headers: body === undefined ? {} : { 'content-type': 'application/json' }, signal: AbortSignal.timeout(15_000),
    });
    return { status: res.status, body: await res.json() };
  };
  const until = async <T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000): Promise<T> => {
    for (const deadline = Date.now() + timeoutMs; ;) {
      const v = await read();
      if (done(v)) return v;
      if (Date.now() > deadline) assert.fail(`${what} after ${timeoutMs} ms: ${JSON.stringify(v)}`);
      await sleep(250);
    }
  };

  await JavaHarness.run('produce', { namesrv: gw.address, topic: TOPIC, count: 6 });
  const produced = await JavaHarness.run('produce', { namesrv: gw.address, topic: DOOMED_TOPIC, count: DOOMED });
  const doomed = produced.filter((e) => e.event === 'sent');
  const healthy = JavaHarness.start('push-consume', { namesrv: gw.address, topic: TOPIC, group: GROUP, 'timeout-ms': 150_000 });
  // Every delivery fails; after one retry (its client's maxReconsumeTimes) a message is a dead letter.
  const failing = JavaHarness.start('push-consume', { namesrv: gw.address, topic: DOOMED_TOPIC, group: DOOMED_GROUP, 'fail-times': 100, 'max-reconsume': 1, 'timeout-ms': 150_000 });
  let revived: JavaHarness | undefined;
  const browser = await launchChromium();
  try {
    await healthy.waitFor((e) => deliveries(e).length >= 6, 60_000, '6 deliveries');

    // Running info: what the client itself reports, also what mqadmin consumerStatus prints.
    // The client takes its retry topic's queue in a rebalance of its own, which may come after the first deliveries.
    const info = await until('the member answers', () => api('GET', `/api/groups/${GROUP}/running-info`), (r) =>
      r.body.members?.[0]?.queues?.filter((q: any) => q.topic === TOPIC).reduce((n: number, q: any) => n + Number(q.commitOffset), 0) === 6
      && r.body.members[0].queues.some((q: any) => q.topic === `%RETRY%${GROUP}`));
    assert.equal(info.status, 200);
    assert.equal(info.body.members.length, 1);
    const [member] = info.body.members;
    assert.equal(member.answered, true);
    assert.equal(member.language, 'JAVA');
    assert.equal(member.properties.consumerGroup, GROUP);
    assert.equal(member.properties.PROP_CLIENT_VERSION, 'V4_9_8');
    assert.equal(member.properties.PROP_CONSUME_TYPE, 'CONSUME_PASSIVELY');
    assert.deepEqual(member.subscriptions.map((s: any) => [s.topic, s.expression]), [[`%RETRY%${GROUP}`, '*'], [TOPIC, '*']]);
    assert.deepEqual(member.queues.map((q: any) => [q.topic, q.queueId]), [[`%RETRY%${GROUP}`, 0], [TOPIC, 0], [TOPIC, 1]], 'the queues the member holds');
    assert.ok(member.queues.every((q: any) => q.droped === false && Number(q.cachedMsgCount) === 0), 'none dropped, nothing left in its cache');
    assert.ok(member.status.some((s: any) => s.topic === TOPIC && typeof s.consumeOKTPS === 'number'), 'consume rates per topic');
    const printed = await mqadminOk(gw.address, ['consumerStatus', '-g', GROUP, '-i', member.clientId]);
    assert.match(printed, new RegExp(`Topic: ${TOPIC}\\s+ClassFilter: false\\s+SubExpression: \\*`));
    assert.match(printed, new RegExp(`consumerGroup\\s+: ${GROUP}\\n`));
    assert.equal((await api('GET', '/api/groups/NoSuchGroup/running-info')).status, 404);

    // Dead letters: both doomed messages end up in %DLQ%DoomedGroup with their original topic.
    const dlq = await until('both dead letters', () => api('GET', `/api/groups/${DOOMED_GROUP}/dead-letters`), (r) => r.body.total === DOOMED);
    assert.equal(dlq.body.topic, `%DLQ%${DOOMED_GROUP}`);
    assert.deepEqual(dlq.body.messages.map((m: any) => m.msgId).sort(), doomed.map((e) => e.msgId).sort());
    for (const m of dlq.body.messages) {
      assert.equal(m.originalTopic, DOOMED_TOPIC);
      assert.equal(m.reconsumeTimes, 2, 'delivered, retried once, then a dead letter');
    }
    assert.equal((await api('GET', `/api/groups/${GROUP}/dead-letters`)).body.total, 0, 'a group without dead letters');
    await failing.stop();

    // A healthy member of the group takes its place; a dead letter re-sent to the group reaches it under its own topic.
    revived = JavaHarness.start('push-consume', { namesrv: gw.address, topic: DOOMED_TOPIC, group: DOOMED_GROUP, 'timeout-ms': 150_000 });
    await revived.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'the healthy consumer is ready');
    await until('the healthy member is the only one', () => api('GET', `/api/groups/${DOOMED_GROUP}`), (r) => r.body.members?.length === 1, 60_000);
    const [first, second] = dlq.body.messages;
    const one = await api('POST', `/api/groups/${DOOMED_GROUP}/dead-letters/resend`, { msgIds: [first.offsetMsgId] });
    assert.equal(one.status, 200, JSON.stringify(one.body));
    assert.equal(one.body.resent.length, 1);
    assert.equal(one.body.resent[0].topic, `%RETRY%${DOOMED_GROUP}`);
    assert.equal(one.body.resent[0].msgId, first.msgId, 'the re-sent message keeps its msgId');
    await revived.waitFor((e) => deliveries(e).some((d) => d.msgId === first.msgId), 30_000, 'the re-sent dead letter consumed');
    const again = deliveries(revived.events).find((d) => d.msgId === first.msgId)!;
    assert.equal(again.topic, DOOMED_TOPIC, 'consumed under its original topic');
    assert.equal(again.reconsumeTimes, 0, 'with the group\'s retries anew');
    assert.equal(again.keys, first.keys);

    // From the page: the group's running info, its dead letters, and a re-send to the original topic.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    await page.goto(`${gw.httpUrl}/`);
    await page.locator(`[data-testid="group-row"][data-group="${DOOMED_GROUP}"]`).getByRole('button', { name: DOOMED_GROUP }).click();
    await page.getByTestId('running-info-load').click();
    await waitForText(page.getByTestId('running-info-status'), '1 of 1 members answered.', 'running info of the group');
    await waitForText(page.locator(`[data-testid="running-info-subscription"][data-topic="${DOOMED_TOPIC}"]`).getByTestId('subscription-expression'), '*', 'subscription shown');
    await page.getByTestId('dlq-load').click();
    await waitForText(page.getByTestId('dlq-status'), `2 dead letters in %DLQ%${DOOMED_GROUP}.`, 'dead letters listed');
    await page.locator(`[data-testid="message-result"][data-msgid="${String(second.msgId)}"]`).getByTestId('dlq-resend-topic').click();
    await waitForText(page.getByTestId('dlq-status'), '1 re-sent to the original topic.', 're-sent from the page');
    await revived.waitFor((e) => deliveries(e).some((d) => d.msgId === second.msgId), 30_000, 'the dead letter re-sent from the page consumed');
    assert.equal(deliveries(revived.events).find((d) => d.msgId === second.msgId)!.topic, DOOMED_TOPIC);
    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: join(repoRoot, 'test-results', 'dashboard-consumers.png'), fullPage: true });

    // Test messages: what a send is refused for.
    assert.equal((await api('POST', '/api/topics/NoSuchTopic/messages', { body: 'x' })).status, 404);
    assert.equal((await api('POST', `/api/topics/${TOPIC}/messages`, {})).status, 400, 'no body');
    assert.equal((await api('POST', `/api/topics/${TOPIC}/messages`, { body: 'x', tag: 'a|b' })).status, 400, 'a tag with |');
    assert.equal((await api('POST', `/api/topics/${TOPIC}/messages`, { body: 'x', keys: [''] })).status, 400, 'an empty key');
    assert.equal((await api('POST', '/api/topics/RMQ_SYS_KEY_INDEX/messages', { body: 'x' })).status, 403, 'a system topic');
    const sent = await api('POST', `/api/topics/${TOPIC}/messages`, { body: 'to the healthy group', keys: ['k1', 'k2'] });
    assert.equal(sent.status, 201);
    await healthy.waitFor((e) => deliveries(e).some((d) => d.msgId === sent.body.msgId), 30_000, 'the test message consumed');
    assert.equal(deliveries(healthy.events).find((d) => d.msgId === sent.body.msgId)!.keys, 'k1 k2');

    assert.equal((await api('POST', `/api/groups/${DOOMED_GROUP}/dead-letters/resend`, {})).status, 400);
    assert.equal((await api('POST', `/api/groups/${DOOMED_GROUP}/dead-letters/resend`, { all: true, target: 'elsewhere' })).status, 400);
    const unknown = await api('POST', `/api/groups/${DOOMED_GROUP}/dead-letters/resend`, { msgIds: [doomed[0]!.offsetMsgId] });
    assert.deepEqual(unknown.body.failed.map((f: any) => f.msgId), [doomed[0]!.offsetMsgId], 'a message that is no dead letter of the group is not re-sent');
  } finally {
    await browser.close();
    await Promise.all([healthy.stop(), failing.stop(), revived?.stop()]);
  }
});
