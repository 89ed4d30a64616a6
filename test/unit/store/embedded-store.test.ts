import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore, type EmbeddedStoreOptions } from '../../../src/store/embedded/embedded-store.js';
import type { NewMessage } from '../../../src/store/message-store.js';

const silent = pino({ level: 'silent' });

function options(dataDir: string, over: Partial<EmbeddedStoreOptions> = {}): EmbeddedStoreOptions {
  return { dataDir, flush: 'async', flushIntervalMs: 50, segmentBytes: 64 * 1024, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000, maxOpenFiles: 1024, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000, ...over };
}

const msg = (i: number, size = 100): NewMessage => ({
  body: Buffer.alloc(size, i % 256),
  flag: 0,
  sysFlag: 0,
  properties: new Map([['TAGS', `Tag${i % 3}`], ['seq', String(i)]]),
  bornTimestamp: 1000 + i,
  bornHost: '127.0.0.1:1234',
  reconsumeTimes: 0,
  preparedTransactionOffset: 0n,
});

async function withStore<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rop-store-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const topic = { name: 'T', readQueueNums: 2, writeQueueNums: 2, perm: 6, topicSysFlag: 0, order: false };

test('a queue rolls into several segments and reads across their boundaries stay contiguous', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir), silent);
    await s.open();
    await s.putTopic(topic);
    let expected = 0;
    for (let b = 0; b < 50; b++) {
      const n = 1 + (b % 7);
      await s.append('T', 0, Array.from({ length: n }, (_, i) => msg(expected + i, 900)));
      expected += n;
    }
    assert.equal(await s.maxOffset('T', 0), expected);
    const segments = readdirSync(join(dir, 'queues', 'T', '0')).filter((f) => f.endsWith('.log'));
    assert.ok(segments.length > 1, 'rolled into several segments');
    let offset = 0;
    while (offset < expected) {
      const r = await s.read('T', 0, offset, 32, 1 << 20);
      assert.equal(r.status, 'FOUND');
      for (const m of r.messages) assert.equal(m.properties.get('seq'), String(m.queueOffset));
      assert.equal(r.messages[0]!.queueOffset, offset);
      offset = r.nextOffset;
    }
    assert.equal(offset, expected);
    await s.close();
  }));

test('recovery truncates a torn tail and keeps every complete record', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir, { segmentBytes: 1 << 20 }), silent);
    await s.open();
    await s.putTopic(topic);
    for (let i = 0; i < 20; i++) await s.append('T', 0, [msg(i)]);
    await s.close();
    const qdir = join(dir, 'queues', 'T', '0');
    const log = join(qdir, readdirSync(qdir).find((f) => f.endsWith('.log'))!);
    const size = statSync(log).size;
    // A crash mid-write: the last record loses its end, and garbage follows.
    truncateSync(log, size - 10);
    appendFileSync(log, Buffer.from('garbage-after-crash'));
    const s2 = new EmbeddedStore(options(dir), silent);
    await s2.open();
    assert.equal(await s2.maxOffset('T', 0), 19);
    const r = await s2.read('T', 0, 18, 5, 1 << 20);
    assert.equal(r.messages.length, 1);
    assert.equal(r.messages[0]!.properties.get('seq'), '18');
    const again = await s2.append('T', 0, [msg(19)]);
    assert.equal(again.firstOffset, 19, 'appends continue contiguously after the cut');
    await s2.close();
  }));

test('recovery re-indexes records whose index entries were lost', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir), silent);
    await s.open();
    await s.putTopic(topic);
    for (let i = 0; i < 10; i++) await s.append('T', 0, [msg(i)]);
    await s.close();
    const qdir = join(dir, 'queues', 'T', '0');
    const idx = join(qdir, readdirSync(qdir).find((f) => f.endsWith('.idx'))!);
    truncateSync(idx, 4 * 4);
    const s2 = new EmbeddedStore(options(dir), silent);
    await s2.open();
    assert.equal(await s2.maxOffset('T', 0), 10);
    const r = await s2.read('T', 0, 9, 1, 1000);
    assert.equal(r.messages[0]!.properties.get('seq'), '9');
    await s2.close();
  }));

test('a crash before index entries are written loses nothing, in sealed segments too', () =>
  withStore(async (dir) => {
    // Index entries are written at flush time; a process that dies first leaves only the records.
    const crashed = new EmbeddedStore(options(dir, { flushIntervalMs: 3600_000 }), silent);
    await crashed.open();
    await crashed.putTopic(topic);
    for (let i = 0; i < 300; i++) await crashed.append('T', 0, [msg(i, 1000)]);
    const qdir = join(dir, 'queues', 'T', '0');
    assert.ok(readdirSync(qdir).filter((f) => f.endsWith('.log')).length > 2, 'the appends should span several segments');
    assert.ok(readdirSync(qdir).filter((f) => f.endsWith('.idx')).every((f) => statSync(join(qdir, f)).size === 0));
    const reopened = new EmbeddedStore(options(dir), silent);
    await reopened.open();
    assert.equal(await reopened.maxOffset('T', 0), 300);
    for (const offset of [0, 64, 65, 150, 299]) {
      const r = await reopened.read('T', 0, offset, 1, 1 << 20);
      assert.equal(r.messages[0]!.properties.get('seq'), String(offset));
    }
    await reopened.close();
    await crashed.close();
  }));

test('consumer offsets survive an unclean stop through the journal', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir), silent);
    await s.open();
    await s.commitOffset('g', 'T', 0, 5);
    await s.commitOffset('g', 'T', 0, 7);
    await s.commitOffset('g2', 'T', 1, 3);
    // No close(): the process "dies" here. A torn last journal line must not lose the others.
    writeFileSync(join(dir, 'consumer-offsets.journal'), '["g","T",0,7]\n["g2","T",1,3]\n["g3","T"', { flag: 'r+' });
    const s2 = new EmbeddedStore(options(dir), silent);
    await s2.open();
    assert.equal(await s2.committedOffset('g', 'T', 0), 7);
    assert.equal(await s2.committedOffset('g2', 'T', 1), 3);
    assert.equal(await s2.committedOffset('g3', 'T', 0), undefined);
    await s2.close();
  }));

test('retention deletes whole expired segments and raises minOffset', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir, { segmentBytes: 4096 }), silent);
    await s.open();
    await s.putTopic(topic);
    for (let i = 0; i < 40; i++) await s.append('T', 0, [msg(i, 500)]);
    await s.close();
    await new Promise((r) => setTimeout(r, 20));
    const s2 = new EmbeddedStore(options(dir, { segmentBytes: 4096, retentionMs: 1 }), silent);
    await s2.open();
    const min = await s2.minOffset('T', 0);
    assert.ok(min > 0, 'old segments removed');
    assert.equal(await s2.maxOffset('T', 0), 40);
    assert.equal((await s2.read('T', 0, 0, 1, 1000)).status, 'OFFSET_TOO_SMALL');
    assert.equal((await s2.read('T', 0, min, 1, 1000)).messages[0]!.queueOffset, min);
    await s2.close();
  }));

test('sync flush resolves appends after fsync, grouping concurrent ones', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir, { flush: 'sync' }), silent);
    await s.open();
    await s.putTopic(topic);
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.append('T', i % 2, [msg(i)])));
    assert.deepEqual(results.filter((_, i) => i % 2 === 0).map((r) => r.firstOffset), [...Array(10).keys()]);
    await s.close();
  }));

test('a deleted topic\'s files go with it; the other topics\' stay', () =>
  withStore(async (dir) => {
    const s = new EmbeddedStore(options(dir), silent);
    await s.open();
    await s.putTopic(topic);
    await s.putTopic({ ...topic, name: 'Kept' });
    await s.append('T', 0, [msg(0), msg(1)]);
    await s.append('Kept', 0, [msg(0)]);
    await s.deleteTopic('T');
    assert.deepEqual(readdirSync(join(dir, 'queues')), ['Kept']);
    await s.close();
  }));
