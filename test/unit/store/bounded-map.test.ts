import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMap } from '../../../src/store/pulsar/bounded-map.js';

test('keeps the newest keys up to its capacity; the oldest go first', () => {
  const m = new BoundedMap<string, number>(3);
  for (let i = 0; i < 5; i++) m.set(`k${i}`, i);
  assert.equal(m.size, 3);
  assert.equal(m.get('k0'), undefined);
  assert.equal(m.get('k1'), undefined);
  assert.deepEqual(['k2', 'k3', 'k4'].map((k) => m.get(k)), [2, 3, 4]);
});

test('setting a held key changes its value, not its age', () => {
  const m = new BoundedMap<string, number>(2);
  m.set('a', 1);
  m.set('b', 2);
  m.set('a', 10);
  assert.equal(m.get('a'), 10);
  m.set('c', 3);
  assert.equal(m.get('a'), undefined, 'a was still the oldest');
  assert.equal(m.get('b'), 2);
  assert.equal(m.size, 2);
});

test('stays bounded over many more keys than it holds', () => {
  const m = new BoundedMap<number, number>(100);
  for (let i = 0; i < 100_000; i++) m.set(i, i);
  assert.equal(m.size, 100);
  assert.equal(m.get(99_900), 99_900);
  assert.equal(m.get(99_899), undefined);
});
