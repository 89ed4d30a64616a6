import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { SlotLayout, SlotStore } from '../../../src/store/slot-store.js';
import type { NewMessage } from '../../../src/store/message-store.js';
import { silent } from '../../support/embedded-broker.js';

const message = (text: string): NewMessage => ({
  body: Buffer.from(text), flag: 0, sysFlag: 0, properties: new Map(), bornTimestamp: Date.now(), bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});

test('slot layout stripes store queues over slots and counts each slot\'s share', () => {
  const slots = 3;
  const layouts = [0, 1, 2].map((s) => new SlotLayout(s, slots));
  const seen = new Set<number>();
  for (const l of layouts) {
    for (let q = 0; q < 5; q++) {
      const p = l.storeQueue(q);
      assert.ok(l.holds(p));
      assert.equal(l.localQueue(p), q);
      assert.ok(!seen.has(p), `store queue ${p} belongs to one slot only`);
      seen.add(p);
    }
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => i));
  // 7 store queues over 3 slots: 3, 2, 2; a slot past the total has none.
  assert.deepEqual(layouts.map((l) => l.localCount(7)), [3, 2, 2]);
  assert.deepEqual(layouts.map((l) => l.localCount(2)), [1, 1, 0]);
  assert.deepEqual(layouts.map((l) => l.localCount(12)), [4, 4, 4]);
  const one = new SlotLayout(0, 1);
  assert.equal(one.storeQueue(5), 5);
  assert.equal(one.localCount(8), 8);
  assert.throws(() => new SlotLayout(3, 3), RangeError);
});

test('slot views of one store keep their queues, offsets and counts apart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-slot-'));
  const store = new EmbeddedStore({ dataDir: dir, flush: 'async', flushIntervalMs: 50, segmentBytes: 64 * 1024, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000, maxOpenFiles: 1024, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000 }, silent);
  await store.open();
  try {
    const [a, b] = [0, 1].map((s) => new SlotStore(store, new SlotLayout(s, 2)));
    const created = await a!.putTopic({ name: 'T', readQueueNums: 4, writeQueueNums: 2, perm: 6, topicSysFlag: 0, order: false });
    assert.equal(created.readQueueNums, 4, 'a queue count given to a slot view is per slot');
    assert.equal(store.getTopic('T')!.readQueueNums, 8);
    assert.deepEqual([b!.getTopic('T')!.readQueueNums, b!.getTopic('T')!.writeQueueNums], [4, 2]);

    const woken: string[] = [];
    const off = b!.onAppend((topic, queueId) => woken.push(`${topic}/${queueId}`));
    const ra = await a!.append('T', 1, [message('a1')]);
    const rb = await b!.append('T', 1, [message('b1'), message('b2')]);
    off();
    assert.deepEqual(woken, ['T/1'], 'a slot hears of its own queues only');
    assert.equal(ra.firstOffset, 0);
    assert.equal(rb.firstOffset, 0, 'each slot\'s queue 1 is its own store queue');
    assert.equal(await store.maxOffset('T', 2), 1);
    assert.equal(await store.maxOffset('T', 3), 2);

    const read = await b!.read('T', 1, 0, 10, 1 << 20);
    assert.deepEqual(read.messages.map((m) => [m.body.toString(), m.queueId]), [['b1', 1], ['b2', 1]]);
    const found = await a!.lookup(rb.locators[1]!);
    assert.equal(found?.body.toString(), 'b2', 'any slot resolves a message id of another slot');
    assert.equal(found?.queueId, 1, 'with the queue id local to the message\'s own slot');

    await a!.commitOffset('g', 'T', 1, 1);
    await b!.commitOffset('g', 'T', 1, 2);
    assert.equal(await a!.committedOffset('g', 'T', 1), 1);
    assert.equal(await b!.committedOffset('g', 'T', 1), 2);
    assert.deepEqual(b!.committedOffsets().filter((c) => c.topic === 'T'), [{ group: 'g', topic: 'T', queueId: 1, offset: 2 }]);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
