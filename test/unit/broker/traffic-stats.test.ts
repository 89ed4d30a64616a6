import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrafficStats } from '../../../src/broker/traffic-stats.js';

test('traffic totals per topic and per group, with rates over the time since the first sample', () => {
  let now = 1_000_000;
  const stats = new TrafficStats(() => now);
  try {
    stats.messagesIn('A', 60, 6000);
    stats.messagesIn('B', 40, 400);
    stats.messagesOut('G', 'A', 30, 3300);
    now += 5000;
    assert.deepEqual(stats.topicsIn().get('A'), { messages: 60, bytes: 6000, calls: 1 });
    assert.deepEqual([...stats.groupsOut()], [{ group: 'G', topic: 'A', messages: 30, bytes: 3300, calls: 1 }]);
    const { put, get } = stats.brokerRates();
    assert.deepEqual(put, [20, 20, 20], '100 messages in 5 s, in each window');
    assert.deepEqual(get, [6, 6, 6]);
    const recent = stats.recentRates();
    assert.deepEqual(recent.in.get('A'), { messages: 12, bytes: 1200 });
    assert.deepEqual(recent.out, [{ group: 'G', topic: 'A', messages: 6, bytes: 660 }]);
    assert.deepEqual(stats.dailyTotals(), { putYesterdayMorning: 0, putTodayMorning: 0, putNow: 100, getYesterdayMorning: 0, getTodayMorning: 0, getNow: 30 });
  } finally {
    stats.close();
  }
});

test('Apache\'s broker stats items over a minute, an hour and a day, with what was just counted included', () => {
  let now = 1_000_000;
  const stats = new TrafficStats(() => now);
  try {
    stats.messagesIn('A', 10, 1000);
    stats.messagesIn('A', 30, 3000);
    stats.messagesOut('G', 'A', 25, 2500);
    now += 20_000;
    const put = stats.statsWindows('TOPIC_PUT_NUMS', 'A')!;
    assert.deepEqual(put.minute, { sum: 40, tps: 2, avgpt: 20 }, '40 messages in two sends over 20 s');
    assert.deepEqual(put.day, put.minute, 'every window starts at the first sample');
    assert.equal(stats.statsWindows('TOPIC_PUT_SIZE', 'A')!.hour.sum, 4000);
    assert.equal(stats.statsWindows('GROUP_GET_NUMS', 'A@G')!.day.sum, 25);
    assert.equal(stats.statsWindows('GROUP_GET_SIZE', 'A@G')!.minute.avgpt, 2500);
    assert.equal(stats.statsWindows('BROKER_PUT_NUMS', '')!.day.sum, 40);
    assert.equal(stats.statsWindows('BROKER_GET_NUMS', '')!.day.sum, 25);
    assert.equal(stats.statsWindows('TOPIC_PUT_NUMS', 'B'), undefined, 'nothing counted for B');
    assert.equal(stats.statsWindows('GROUP_GET_NUMS', 'A@H'), undefined);
  } finally {
    stats.close();
  }
});
