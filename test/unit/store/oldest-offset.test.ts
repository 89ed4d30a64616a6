import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OldestOffset } from '../../../src/store/pulsar/oldest-offset.js';

test('the oldest offset is looked up once per period, one lookup at a time; a read waits on it only the first time', async () => {
  let lookups = 0;
  let oldest = 3;
  let release: (() => void) | undefined;
  const gate = () => new Promise<void>((r) => (release = r));
  let slow = false;
  const cache = new OldestOffset(async () => {
    lookups++;
    if (slow) await gate();
    return oldest;
  }, 50);
  assert.deepEqual(await Promise.all([cache.current(), cache.before(10), cache.current()]), [3, 3, 3]);
  assert.equal(lookups, 1);
  assert.equal(await cache.before(2), 2, 'a read never reports a minimum above where it found messages');
  oldest = 5;
  await new Promise((r) => setTimeout(r, 60));
  slow = true;
  assert.equal(await cache.before(10), 3, 'stale: answered from what is known while the lookup runs behind');
  assert.equal(lookups, 2);
  assert.equal(await cache.before(10), 3);
  assert.equal(lookups, 2, 'the running lookup is shared');
  release!();
  assert.equal(await cache.current(), 5);
  assert.equal(lookups, 2);
});
