import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DELAY_LEVELS, formatDelayLevels, parseDelayLevels } from '../../../src/broker/delay-levels.js';

test('delay levels are reported as messageDelayLevel, each in the largest unit that states it exactly', () => {
  assert.equal(formatDelayLevels(parseDelayLevels(DEFAULT_DELAY_LEVELS)), DEFAULT_DELAY_LEVELS);
  assert.equal(formatDelayLevels(parseDelayLevels('1500ms 90s 120m 48h 2d')), '1500ms 90s 2h 2d 2d');
});
