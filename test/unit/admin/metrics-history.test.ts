import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficStats } from '../../../src/broker/traffic-stats.js';
import { HISTORY_POINTS, HISTORY_STEP_MS, MetricsHistory } from '../../../src/admin/metrics-history.js';
import { createLogger } from '../../../src/logger.js';

function setup() {
  let now = 1_000_000;
  const clock = () => now;
  const traffic = new TrafficStats(clock);
  const lags = new Map<string, number>([['G', 5], ['%SCHEDULE%', 100]]);
  const history = new MetricsHistory({
    traffic,
    groupLags: async () => [...lags].map(([group, lag]) => ({ group, lag, system: group.startsWith('%') })),
    log: createLogger('silent'),
    now: clock,
  });
  const step = async () => {
    now += HISTORY_STEP_MS;
    history.sample();
    await new Promise((r) => setImmediate(r));
  };
  return { traffic, history, lags, step, advance: (ms: number) => { now += ms; }, close: () => { history.close(); traffic.close(); } };
}

test('rates per step from the traffic counters, lag as sampled, and a live point for the step in progress', async () => {
  const { traffic, history, lags, step, advance, close } = setup();
  try {
    traffic.messagesIn('T', 50, 500);
    traffic.messagesOut('G', 'T', 20, 200);
    await step();
    traffic.messagesIn('T', 100, 1000);
    lags.set('G', 7);
    await step();
    advance(2000);
    const topic = await history.topic('T');
    assert.equal(topic.stepMs, HISTORY_STEP_MS);
    assert.equal(topic.times.length, 3, 'two samples and the live point');
    assert.deepEqual(topic.series.in, [5, 10, 0], '50 then 100 messages over 10 s steps, none since');
    assert.deepEqual(topic.series.out, [2, 0, 0]);
    const group = await history.group('G');
    assert.deepEqual(group.series.out, [2, 0, 0]);
    assert.deepEqual(group.series.lag, [5, 7, 7], 'lag at each sample, and now');

    traffic.messagesIn('T', 30, 300);
    advance(1000);
    assert.deepEqual((await history.topic('T')).series.in?.at(-1), 10, '30 messages in the 3 s of the step so far');

    const cluster = await history.cluster();
    assert.deepEqual(cluster.series.in, [5, 10, 10]);
    assert.deepEqual(cluster.series.lag, [5, 7, 7], "the gateway's own cursors are left out of the total lag");
    const idle = await history.topic('Idle');
    assert.deepEqual(idle.series.in, [0, 0, 0], 'a topic never counted had no traffic at any sample');
    assert.equal(idle.capped, false);
  } finally {
    close();
  }
});

test('the history keeps its last hour only: a ring of fixed size per series, idle series dropped', async () => {
  const { traffic, history, step, close } = setup();
  try {
    traffic.messagesIn('Busy', 10, 10);
    await step();
    for (let i = 0; i < HISTORY_POINTS + 5; i++) await step();
    const busy = await history.topic('Busy');
    assert.equal(busy.times.length, HISTORY_POINTS, 'at most an hour of samples; none in progress right after one');
    assert.ok(busy.times.every((t, i) => i === 0 || t > busy.times[i - 1]!), 'oldest first');
    assert.ok(busy.series.in?.every((v) => v === 0), 'the burst has left the window');
    assert.equal((history as unknown as { rings: Map<string, unknown> }).rings.has('topic-in\u0000Busy'), false, 'its ring is dropped');
  } finally {
    close();
  }
});
