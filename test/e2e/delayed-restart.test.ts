import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';

// 10,000 delayed messages, half with delay levels 1-3 (1 s, 5 s, 10 s) and half with RocketMQ 5 delivery
// times up to 15 s ahead, while the gateway restarts: every one delivered, none before its time.
const COUNT = 10_000;
const LEVEL_MS = [1000, 5000, 10_000];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(`${COUNT.toLocaleString('en-US')} messages with mixed delay levels and delivery times survive a gateway restart: all delivered, none early`, { timeout: 240_000 }, async (t) => {
  let gw: GatewayProcess = await startGateway();
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: 'TimedTopic', group: 'TimedGroup', 'timeout-ms': 230_000 });
  t.after(async () => {
    await consumer.stop();
    await gw.stop();
    gw.cleanup();
  });
  await consumer.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'consumer ready');

  const sent = await JavaHarness.run('produce', { namesrv: gw.address, topic: 'TimedTopic', count: COUNT, mode: 'timed', 'max-delay-ms': 15_000 });
  assert.equal(sent.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, COUNT, 'every delayed send acknowledged');

  // Restart while most messages are still waiting: their schedule lives in the store, not in memory.
  await sleep(2000);
  const deliveredBefore = deliveries(consumer.events).length;
  await gw.stop();
  const downAt = Date.now();
  gw = await startGateway({ dataDir: gw.dataDir, port: gw.port });
  const upAt = Date.now();

  await consumer.waitFor((e) => new Set(deliveries(e).map((m) => (m.props as Record<string, string>).idx)).size >= COUNT, 120_000, `all ${COUNT} delivered`);
  const got = deliveries(consumer.events);
  const firsts = new Map<number, HarnessEvent>();
  for (const m of got) {
    const i = Number((m.props as Record<string, string>).idx);
    if (!firsts.has(i)) firsts.set(i, m);
  }
  assert.equal(firsts.size, COUNT);

  const lateness: number[] = [];
  const storeLag: number[] = [];
  const latenessAwayFromRestart: number[] = [];
  for (const [i, m] of firsts) {
    const at = Number(m.atMicros) / 1000;
    const props = m.props as Record<string, string>;
    // A level's wait starts when the gateway stores the message, no earlier than its born time.
    const due = i % 2 === 1 ? Number(props.TIMER_DELIVER_MS) : Number(m.bornTimestamp) + LEVEL_MS[(i / 2) % 3]!;
    assert.ok(at >= due - 2, `message ${i} delivered ${due - at} ms before its time`);
    lateness.push(at - due);
    storeLag.push(Number(m.storeTimestamp) - due);
    if (due > upAt + 1000 || due < downAt - 1000) latenessAwayFromRestart.push(at - due);
  }
  const p = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))]!;
  t.diagnostic(`stored in its topic after its time: p50 ${p(storeLag, 0.5)} ms, p99 ${p(storeLag, 0.99)} ms`);
  t.diagnostic(`delivered before the restart ${deliveredBefore}; gateway down ${upAt - downAt} ms; duplicates ${got.length - COUNT}`);
  t.diagnostic(`lateness p50 ${p(lateness, 0.5).toFixed(0)} ms, p99 ${p(lateness, 0.99).toFixed(0)} ms, max ${Math.max(...lateness).toFixed(0)} ms; away from the restart p99 ${p(latenessAwayFromRestart, 0.99).toFixed(0)} ms over ${latenessAwayFromRestart.length} messages`);
  for (const g of [gw]) for (const l of g.logs.filter((x) => Number(x.level) >= 40)) t.diagnostic(`gateway: ${JSON.stringify(l).slice(0, 300)}`);
  // No bound on lateness here: after a restart a Java consumer sometimes waits out a 30 s pull timeout
  // before it pulls again (see the test below for the precision the scheduler keeps).
});

test('without a restart, 2,000 mixed delayed messages arrive within 1 s of their time (p99)', { timeout: 120_000 }, async (t) => {
  const gw = await startGateway();
  const consumer = JavaHarness.start('push-consume', { namesrv: gw.address, topic: 'TimedSteadyTopic', group: 'TimedSteadyGroup', 'timeout-ms': 110_000 });
  t.after(async () => {
    await consumer.stop();
    await gw.stop();
    gw.cleanup();
  });
  await consumer.waitFor((e) => e.some((x) => x.event === 'ready'), 30_000, 'consumer ready');
  await sleep(3000);
  const count = 2000;
  const sent = await JavaHarness.run('produce', { namesrv: gw.address, topic: 'TimedSteadyTopic', count, mode: 'timed', 'max-delay-ms': 12_000 });
  assert.equal(sent.filter((e) => e.event === 'sent' && e.status === 'SEND_OK').length, count);
  await consumer.waitFor((e) => new Set(deliveries(e).map((m) => (m.props as Record<string, string>).idx)).size >= count, 60_000, `all ${count} delivered`);
  const lateness = deliveries(consumer.events).map((m) => {
    const i = Number((m.props as Record<string, string>).idx);
    const due = i % 2 === 1 ? Number((m.props as Record<string, string>).TIMER_DELIVER_MS) : Number(m.bornTimestamp) + LEVEL_MS[(i / 2) % 3]!;
    const late = Number(m.atMicros) / 1000 - due;
    assert.ok(late >= -2, `message ${i} delivered ${-late} ms early`);
    return late;
  }).sort((a, b) => a - b);
  const p99 = lateness[Math.floor(lateness.length * 0.99)]!;
  t.diagnostic(`lateness p50 ${lateness[lateness.length >> 1]!.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${lateness.at(-1)!.toFixed(0)} ms`);
  assert.ok(p99 <= 1000, `p99 lateness ${p99} ms`);
});
