import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EntryIndex } from '../../../src/store/pulsar/entry-index.js';
import type { SendReceipt } from '../../../src/pulsar/producer.js';

/** A broker whose entries (ledger 7) end at the given indexes; it answers lookups after `delayMs`. */
function broker(ends: Record<number, number>, delayMs = 5) {
  const asked: number[] = [];
  const lookUp = async (ledgerId: number, entryId: number): Promise<number> => {
    asked.push(entryId);
    await new Promise((r) => setTimeout(r, delayMs));
    const end = ledgerId === 7 ? ends[entryId] : undefined;
    if (end === undefined) throw new Error(`no entry ${ledgerId}:${entryId}`);
    return end;
  };
  return { asked, lookUp };
}

const receipt = (entryId: number, entryMessages: number, batchIndex: number): SendReceipt =>
  ({ ledgerId: 7, entryId, partition: 0, batchIndex, entryMessages, sequenceId: 0 });

test('without a tail: the first entry is asked of the broker once; the entries after it, received meanwhile, build on it', async () => {
  // Entry 3 holds offsets 10..12 (a batch of 3), entry 4 offset 13 (single), entry 5 offsets 14..15.
  const b = broker({ 3: 12, 4: 13, 5: 15 });
  const index = new EntryIndex(b.lookUp, 1000);
  const offsets = await Promise.all([
    index.offsetOf(receipt(3, 3, 0), false), index.offsetOf(receipt(3, 3, 1), false), index.offsetOf(receipt(3, 3, 2), false),
    index.offsetOf(receipt(4, 1, -1), false),
    index.offsetOf(receipt(5, 2, 0), false), index.offsetOf(receipt(5, 2, 1), false),
  ]);
  assert.deepEqual(offsets, [10, 11, 12, 13, 14, 15]);
  assert.deepEqual(b.asked, [3], 'one lookup for the whole run of entries');
  assert.equal(await index.offsetOf(receipt(6, 1, -1), false), 16, 'the next entry follows from what is known');
  assert.deepEqual(b.asked, [3]);
});

test('after an entry it does not know the end of (another writer\'s), it asks again', async () => {
  const b = broker({ 3: 12, 6: 30 });
  const index = new EntryIndex(b.lookUp, 1000);
  assert.equal(await index.offsetOf(receipt(3, 1, -1), false), 12);
  assert.equal(await index.offsetOf(receipt(6, 1, -1), false), 30);
  assert.deepEqual(b.asked, [3, 6]);
});

test('with a tail: a receipt waits for the tail to see its entry, and asks the broker only when the tail is late', async () => {
  const b = broker({ 3: 12, 9: 40 });
  const index = new EntryIndex(b.lookUp, 50);
  const waiting = index.offsetOf(receipt(3, 2, 0), true);
  index.note(7, 3, 12);
  assert.equal(await waiting, 11);
  assert.deepEqual(b.asked, [], 'the tail answered');
  const started = Date.now();
  assert.equal(await index.offsetOf(receipt(9, 1, -1), true), 40);
  assert.deepEqual(b.asked, [9], 'asked once the wait was over');
  assert.ok(Date.now() - started >= 45);
});

test('a failed lookup fails the append, and the entries that built on it ask for themselves', async () => {
  const b = broker({ 4: 13 });
  const index = new EntryIndex(b.lookUp, 1000);
  const [first, second] = await Promise.allSettled([index.offsetOf(receipt(3, 1, -1), false), index.offsetOf(receipt(4, 1, -1), false)]);
  assert.equal(first.status, 'rejected');
  assert.deepEqual(second, { status: 'fulfilled', value: 13 });
  assert.deepEqual(b.asked, [3, 4]);
});
