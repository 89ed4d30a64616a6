import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { repoRoot, startGateway, testStore, type GatewayProcess, adminOfWorkerZeroOnly } from '../support/gateway.js';
import {
  aliConsumer, aliMessage, aliProducer, closeAli, closeAliOnsInnerProducer,
  type AliConsumer, type AliMessage, type AliProducer, type AliSendResult,
} from '../support/ali-ons.js';
import { launchChromium, waitForText } from '../support/chromium.js';

// The dashboard in a real browser against a real gateway, read as a person would read it: a topic's message
// count, a group's exact lag in total and per queue, messages found by key and by id, and the page following
// new traffic by itself.
const TOPIC = 'DashboardTopic';
const GROUP = 'DashboardGroup';
const QUEUES = 4;
/** consumed by the group before the page opens */
const CONSUMED = 20;
/** sent after that: the group's consumer holds the first it gets, so the group's lag is exactly these */
const HELD = 7;
/** sent while the page is open, to see it update without a reload */
const LATER = 5;
const SCREENSHOT = join(repoRoot, 'test-results', 'dashboard.png');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bodyOf = (key: string): string => `dashboard body of ${key}: ünïcødé ✓ <b>not markup</b>`;

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.equal(response.status, 200, `${url}: ${await response.clone().text()}`);
  return (await response.json()) as T;
}

async function groupLag(httpUrl: string): Promise<number | undefined> {
  const groups = await getJson<Array<{ group: string; lag: number }>>(`${httpUrl}/api/groups`);
  return groups.find((g) => g.group === GROUP)?.lag;
}

async function send(producer: AliProducer, key: string, tags: string): Promise<AliSendResult> {
  const r = await producer.send(aliMessage(TOPIC, tags, bodyOf(key), [key]));
  assert.equal(r.sendStatus, 'SEND_OK', `send ${key}`);
  return r;
}

/** Stroke colors of the charts' series (charts.js), to find their lines among the canvas's pixels. */
const SERIES_RGB: Record<string, [number, number, number]> = { in: [0x1f, 0x77, 0xb4], out: [0x2c, 0xa0, 0x2c], lag: [0xd6, 0x27, 0x28] };

/** What a chart holds for one series (from its data-* attributes) and how many pixels of its canvas have the series' color. */
async function chartState(page: Page, testId: string, series: string): Promise<{ points: number; peak: number; last: number | null; pixels: number }> {
  return page.getByTestId(testId).evaluate((container: HTMLElement, [name, rgb]) => {
    const canvas = container.querySelector('canvas');
    let pixels = 0;
    if (canvas && canvas.width > 0) {
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 128 && Math.abs(data[i]! - rgb[0]) + Math.abs(data[i + 1]! - rgb[1]) + Math.abs(data[i + 2]! - rgb[2]) < 60) pixels++;
      }
    }
    const points = Number(container.dataset[`${name}Points`] ?? 0);
    const last = container.dataset[`${name}Last`];
    return { points, peak: Number(container.dataset[`${name}Peak`] ?? 0), last: last === undefined || last === '' ? null : Number(last), pixels };
  }, [series, SERIES_RGB[series]!] as const);
}

/** Waits until a chart has drawn a series with a value above zero: points in its data and its color on the canvas. */
async function waitForChart(page: Page, testId: string, series: string, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await chartState(page, testId, series);
    if (s.points > 0 && s.peak > 0 && s.pixels > 20) return;
    if (Date.now() > deadline) throw new Error(`chart ${testId}: ${what} not drawn after ${timeoutMs} ms: ${JSON.stringify(s)}`);
    await sleep(250);
  }
}

test('the dashboard shows topics, exact group lag per queue and found messages, and follows new traffic by itself', { timeout: 180_000 , skip: adminOfWorkerZeroOnly }, async (t) => {
  let browser: Browser | undefined;
  let gw: GatewayProcess | undefined;
  let producer: AliProducer | undefined;
  let consumer: AliConsumer | undefined;
  let releaseHeld = (): void => undefined;
  const clientDir = mkdtempSync(join(tmpdir(), 'rop-dashboard-'));
  try {
    browser = await launchChromium();
    gw = await startGateway({ http: true, args: ['--default-queues', String(QUEUES)] });
    const httpUrl = gw.httpUrl;
    assert.ok(httpUrl, 'the gateway was started with its admin HTTP server');

    producer = aliProducer(gw.address, clientDir, { instanceName: 'dashboard-producer' });
    await producer.ready();
    const sent = new Map<string, AliSendResult>();
    for (let i = 0; i < CONSUMED; i++) sent.set(`order-${i}`, await send(producer, `order-${i}`, i % 2 ? 'TagB' : 'TagA'));

    // The handler holds every "held-" message until the end: the consumer commits nothing past the first one it
    // gets, so each queue's lag is exactly the held messages sent to it, while the member stays online.
    const held = new Promise<void>((resolve) => { releaseHeld = resolve; });
    const consumed: AliMessage[] = [];
    consumer = aliConsumer(gw.address, clientDir, { consumerGroup: GROUP, instanceName: 'dashboard-consumer' });
    consumer.subscribe(TOPIC, '*', async (m) => {
      if (m.keys.startsWith('held-')) await held;
      else consumed.push(m);
    });
    await consumer.ready();
    for (const deadline = Date.now() + 60_000; consumed.length < CONSUMED || (await groupLag(httpUrl)) !== 0;) {
      if (Date.now() > deadline) throw new Error(`the group consumed ${consumed.length} of ${CONSUMED}, lag ${await groupLag(httpUrl)}; expected all, lag 0`);
      await sleep(200);
    }

    const heldPerQueue = new Array<number>(QUEUES).fill(0);
    const sendHeld = async (from: number, count: number): Promise<void> => {
      for (let i = from; i < from + count; i++) {
        const r = await send(producer!, `held-${i}`, 'TagH');
        heldPerQueue[Number(r.messageQueue.queueId)]!++;
      }
    };
    await sendHeld(0, HELD);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${httpUrl}/`, { timeout: 15_000 });
    // Survives only as long as the document does: its presence at the end proves the page updated without a reload.
    await page.evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });

    // Cluster overview
    await waitForText(page.getByTestId('store'), testStore, 'store kind');
    await waitForText(page.getByTestId('advertised-address'), gw.address, 'advertised address');
    await waitForText(page.getByTestId('consumer-connections'), '1', 'consumer connections');

    // Topics: the count of kept messages; retry topics only behind the toggle
    const topicRow = page.locator(`[data-testid="topic-row"][data-topic="${TOPIC}"]`);
    await waitForText(topicRow.getByTestId('topic-messages'), String(CONSUMED + HELD), 'messages of the topic');
    await waitForText(topicRow.getByTestId('topic-queues'), `${QUEUES}/${QUEUES}`, 'queues of the topic');
    const retryRow = page.locator(`[data-testid="topic-row"][data-topic="%RETRY%${GROUP}"]`);
    assert.equal(await retryRow.count(), 0, 'the retry topic is hidden by default');
    await page.getByTestId('show-internal-topics').check();
    await waitForText(retryRow.getByTestId('topic-kind'), 'retry', 'the retry topic, once shown');
    await page.getByTestId('show-internal-topics').uncheck();
    await retryRow.waitFor({ state: 'detached' });

    // Groups: exact lag, then per queue in the group's details
    const groupRow = page.locator(`[data-testid="group-row"][data-group="${GROUP}"]`);
    await waitForText(groupRow.getByTestId('group-lag'), String(HELD), 'lag of the group');
    await waitForText(groupRow.getByTestId('group-online'), '1', 'online members of the group');
    await groupRow.getByRole('button', { name: GROUP }).click();
    const detail = page.getByTestId('group-detail');
    await waitForText(detail.getByTestId('group-detail-lag'), String(HELD), 'lag in the group details');
    await detail.getByTestId('member-row').first().waitFor();
    assert.equal(await detail.getByTestId('member-row').count(), 1, 'one member online');
    assert.match((await detail.getByTestId('member-address').textContent()) ?? '', /^127\.0\.0\.1:\d+$/, 'the member\'s address');
    const queueLag = (queueId: number) => detail.locator(`[data-testid="progress-row"][data-topic="${TOPIC}"][data-queue-id="${queueId}"]`).getByTestId('progress-lag');
    for (let q = 0; q < QUEUES; q++) await waitForText(queueLag(q), String(heldPerQueue[q]), `lag of queue ${q}`);

    // Messages by key, then by the msgId a send returned (an offsetMsgId, which needs no topic)
    await page.getByTestId('search-mode').selectOption('key');
    await page.getByTestId('search-topic').fill(TOPIC);
    await page.getByTestId('search-key').fill('order-3');
    await page.getByTestId('search-submit').click();
    await waitForText(page.getByTestId('search-status'), '1 message found.', 'search by key');
    await waitForText(page.getByTestId('message-result').getByTestId('message-body'), bodyOf('order-3'), 'body of the message found by key');
    await waitForText(page.getByTestId('message-result').getByTestId('message-keys'), 'order-3', 'keys of the message found by key');
    await waitForText(page.getByTestId('message-result').getByTestId('message-tags'), 'TagB', 'tags of the message found by key');

    const byId = sent.get('order-8')!;
    await page.getByTestId('search-mode').selectOption('msgId');
    await page.getByTestId('search-topic').fill('');
    await page.getByTestId('search-msgid').fill(byId.msgId);
    await page.getByTestId('search-submit').click();
    await waitForText(page.getByTestId('search-status'), '1 message found.', 'search by msgId');
    await waitForText(page.getByTestId('message-result').getByTestId('message-body'), bodyOf('order-8'), 'body of the message found by msgId');
    await waitForText(page.getByTestId('message-result').getByTestId('message-offset-msgid'), byId.msgId, 'offsetMsgId of the message found by msgId');
    await waitForText(page.getByTestId('message-location'), `${TOPIC}, queue ${byId.messageQueue.queueId}, offset ${byId.queueOffset}`, 'where the message found by msgId is');

    // New traffic shows up by itself
    const updatedBefore = await page.getByTestId('last-updated').textContent();
    await sendHeld(HELD, LATER);
    await waitForText(topicRow.getByTestId('topic-messages'), String(CONSUMED + HELD + LATER), 'messages of the topic after more were sent');
    await waitForText(groupRow.getByTestId('group-lag'), String(HELD + LATER), 'lag of the group after more were sent');
    await waitForText(detail.getByTestId('group-detail-lag'), String(HELD + LATER), 'lag in the open group details after more were sent');
    for (let q = 0; q < QUEUES; q++) await waitForText(queueLag(q), String(heldPerQueue[q]), `lag of queue ${q} after more were sent`);
    assert.notEqual(await page.getByTestId('last-updated').textContent(), updatedBefore, '"last updated" moved on');
    assert.equal(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument), true, 'the page was not reloaded');

    // Charts of the last hour: the cluster's totals, the topic's rates and the group's consumption and lag
    await topicRow.getByRole('button', { name: TOPIC }).click();
    await waitForChart(page, 'cluster-chart', 'in', 'messages produced in the cluster');
    await waitForChart(page, 'topic-chart', 'in', 'messages produced to the topic');
    await waitForChart(page, 'topic-chart', 'out', 'messages consumed from the topic');
    await waitForChart(page, 'group-chart', 'out', 'messages consumed by the group');
    await waitForChart(page, 'group-chart', 'lag', 'lag of the group');
    const groupChart = await chartState(page, 'group-chart', 'lag');
    assert.equal(groupChart.last, HELD + LATER, 'the lag chart ends at the lag the group has now');

    // A test message sent from the open topic: its send result on the page, and the message as stored.
    // (The group's consumer would not show it soon: its queues wait behind the held messages.)
    await page.getByTestId('send-tag').fill('TagS');
    await page.getByTestId('send-keys').fill('sent-from-page second-key');
    await page.getByTestId('send-body').fill(bodyOf('sent-from-page'));
    await page.getByTestId('send-submit').click();
    const sendStatus = page.getByTestId('send-status');
    await sendStatus.filter({ hasText: 'SEND_OK' }).waitFor();
    const sendText = (await sendStatus.textContent()) ?? '';
    const shownIds = /^SEND_OK: message id ([0-9A-F]{32}), offset message id ([0-9A-F]{32}), queue (\d), offset (\d+)\.$/.exec(sendText);
    assert.ok(shownIds, `the send result: ${sendText}`);
    const [stored] = (await getJson<{ messages: Array<Record<string, unknown>> }>(`${httpUrl}/api/messages?topic=${TOPIC}&key=sent-from-page`)).messages;
    assert.equal(stored?.msgId, shownIds[1]);
    assert.equal(stored?.offsetMsgId, shownIds[2]);
    assert.deepEqual([stored?.queueId, stored?.queueOffset], [Number(shownIds[3]), Number(shownIds[4])]);
    assert.equal(stored?.body, bodyOf('sent-from-page'));
    assert.equal(stored?.tags, 'TagS');
    assert.equal(stored?.keys, 'sent-from-page second-key');

    mkdirSync(join(repoRoot, 'test-results'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    t.diagnostic(`screenshot: ${SCREENSHOT}`);

    // A failed poll shows a banner and polling goes on: once the API answers again, the banner goes away.
    await page.route('**/api/cluster', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'injected by the test' }) }));
    const banner = page.getByTestId('error-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await banner.textContent()) ?? '', /^Could not refresh: \/api\/cluster: 503 injected by the test\. Showing data from \d\d:\d\d:\d\d; retrying every 2 s\.$/);
    await page.unroute('**/api/cluster');
    await banner.waitFor({ state: 'hidden', timeout: 10_000 });

    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  } finally {
    releaseHeld();
    await closeAli(consumer);
    await closeAli(producer);
    await closeAliOnsInnerProducer();
    await browser?.close();
    if (gw) {
      await gw.stop();
      gw.cleanup();
    }
    rmSync(clientDir, { recursive: true, force: true });
  }
});
