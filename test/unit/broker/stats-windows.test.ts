import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatsWindows } from '../../../src/broker/stats-windows.js';

test('a window runs from its oldest sample to now: a minute of 10 s samples, an hour of 10 min ones, a day of hourly ones', () => {
  const w = new StatsWindows();
  let total = 0;
  let times = 0;
  const totals = () => new Map([['k', { value: total, times }]]);
  // Two hours at one message per second, one send every 10 s, sampled every 10 s as TrafficStats does.
  for (let s = 0; s <= 7200; s += 10) {
    w.sample(s * 1000, totals);
    total += 10;
    times += 1;
  }
  const now = 7210 * 1000;
  const current = { value: total, times };
  const windows = w.windows('k', current, now);
  assert.deepEqual(windows.minute, { sum: 70, tps: 1, avgpt: 10 }, 'the oldest of 7 samples 10 s apart is 70 s back');
  assert.equal(windows.hour.sum, 3610, '7 samples 10 min apart: from 3600 s back, plus the 10 s since the last');
  assert.equal(windows.hour.tps, 1);
  assert.equal(windows.day.sum, 7210, 'under a day: from the first sample');
  assert.deepEqual(w.windows('unseen', { value: 5, times: 1 }, now).minute, { sum: 5, tps: 5 / 70, avgpt: 5 }, 'a key unseen at a sample counted 0 then');
});

test('nothing sampled yet: empty windows', () => {
  assert.deepEqual(new StatsWindows().windows('k', { value: 3, times: 1 }, 0).day, { sum: 0, tps: 0, avgpt: 0 });
});
