import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore, type EmbeddedStoreOptions } from '../../../src/store/embedded/embedded-store.js';
import { FileHandles } from '../../../src/store/embedded/file-handles.js';
import type { NewMessage } from '../../../src/store/message-store.js';

const silent = pino({ level: 'silent' });

const options = (dataDir: string, over: Partial<EmbeddedStoreOptions> = {}): EmbeddedStoreOptions => ({
  dataDir, flush: 'async', flushIntervalMs: 3600_000, segmentBytes: 4096, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000,
  maxOpenFiles: 16, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000, ...over,
});

const msg = (text: string): NewMessage => ({
  body: Buffer.from(text), flag: 0, sysFlag: 0, properties: new Map([['seq', text]]), bornTimestamp: 1, bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});

/** Descriptors of this process open on files under `dir`. */
const descriptorsUnder = (dir: string): number => readdirSync('/proc/self/fd').filter((fd) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dir);
  } catch {
    return false;
  }
}).length;

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rop-files-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('with more queues than open files allowed, every queue is written and read back whole, and the descriptors stay within the bound', () =>
  withDir(async (dir) => {
    const queues = 48;
    const rounds = 30;
    let store = new EmbeddedStore(options(dir), silent);
    await store.open();
    await store.putTopic({ name: 'Wide', readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0, order: false });
    let most = 0;
    // Rounds over all queues, so each is closed and reopened many times; 4 KiB segments roll under way.
    for (let r = 0; r < rounds; r++) {
      for (let q = 0; q < queues; q++) {
        const first = await store.append('Wide', q, [msg(`${q}:${r}:${'p'.repeat(200)}`)]);
        assert.equal(first.firstOffset, r, `queue ${q} round ${r}: offsets stay contiguous across reopening`);
        most = Math.max(most, descriptorsUnder(dir));
      }
    }
    const read = async (s: EmbeddedStore) => {
      for (let q = 0; q < queues; q++) {
        const seen: string[] = [];
        // A read stays within one segment, so a queue takes several.
        for (let offset = 0; offset < rounds;) {
          const batch = await s.read('Wide', q, offset, rounds, 1 << 20);
          assert.equal(batch.status, 'FOUND');
          seen.push(...batch.messages.map((m) => m.body.toString().split(':').slice(0, 2).join(':')));
          offset = batch.nextOffset;
        }
        assert.deepEqual(seen, Array.from({ length: rounds }, (_, i) => `${q}:${i}`), `queue ${q} reads back in order`);
        most = Math.max(most, descriptorsUnder(dir));
      }
    };
    await read(store);
    assert.ok(store.status().disk!.openFiles <= 16, `open files ${store.status().disk!.openFiles}`);
    // The consumer-offset journal is the one file outside the bound.
    assert.ok(most <= 16 + 1, `at most 17 descriptors under the data dir, saw ${most}`);
    await store.close();
    assert.equal(descriptorsUnder(dir), 0, 'all closed');

    store = new EmbeddedStore(options(dir), silent);
    await store.open();
    most = 0;
    await read(store);
    assert.ok(most <= 16 + 1, `after a restart too, saw ${most}`);
    await store.close();
  }));

test('a file closed by the LRU while written since its last fdatasync is synced first, and reopens where it was', () =>
  withDir(async (dir) => {
    const synced: number[] = [];
    const real = fs.fdatasyncSync;
    mock.method(fs, 'fdatasyncSync', (fd: number) => {
      synced.push(fd);
      real(fd);
    });
    syncBuiltinESMExports();
    try {
      const handles = new FileHandles(2);
      const a = handles.file(join(dir, 'a'), true);
      a.write(Buffer.from('hello '), 0);
      assert.equal(a.dirty, true);
      const b = handles.file(join(dir, 'b'), true);
      assert.equal(synced.length, 0, 'within the bound nothing is closed');
      handles.file(join(dir, 'c'), true);
      assert.equal(synced.length, 1, 'the least recently used, dirty, was synced before it was closed');
      assert.equal(a.dirty, false);
      assert.equal(handles.openCount, 2);
      b.write(Buffer.from('b'), 0);
      a.write(Buffer.from('world'), 6);
      assert.equal(handles.openCount, 2, 'reopening a closed one closes another');
      const back = Buffer.alloc(11);
      a.read(back, 0);
      assert.equal(back.toString(), 'hello world');
    } finally {
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  }));

test('a flush whose fdatasync fails keeps the file pending: the next flush syncs it with nothing new written, and the error is counted', () =>
  withDir(async (dir) => {
    let failing = true;
    const attempts: Array<{ fd: number; ok: boolean }> = [];
    const real = fs.fdatasync;
    mock.method(fs, 'fdatasync', (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      attempts.push({ fd, ok: !failing });
      if (failing) process.nextTick(cb, Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      else real(fd, cb);
    });
    syncBuiltinESMExports();
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) });
    const store = new EmbeddedStore(options(dir, { flushIntervalMs: 20 }), log);
    try {
      await store.open();
      await store.putTopic({ name: 'T', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0, order: false });
      await store.append('T', 0, [msg('one')]);
      for (let waited = 0; store.status().disk!.flushErrors < 3 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(store.status().disk!.flushErrors >= 3, 'each failed round is counted');
      const failedFds = new Set(attempts.filter((a) => !a.ok).map((a) => a.fd));
      failing = false;
      for (let waited = 0; !attempts.some((a) => a.ok && failedFds.has(a.fd)) && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(attempts.some((a) => a.ok && failedFds.has(a.fd)), 'the file whose fdatasync failed is synced by a later round, though nothing was written since');
      const warns = lines.filter((l) => l.msg === 'flushing the store to the disk failed (further failures are counted, not logged, until one succeeds)');
      assert.equal(warns.length, 1, 'one warning for the run of failures');
      assert.equal(warns[0]!.code, 'EIO');
      for (let waited = 0; !lines.some((l) => l.msg === 'flushing the store to the disk succeeds again') && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.ok(lines.some((l) => l.msg === 'flushing the store to the disk succeeds again'));
    } finally {
      await store.close();
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  }));

test('sync flush: a failed fdatasync refuses the appends waiting on it as disk-full, and those after it are taken', () =>
  withDir(async (dir) => {
    let failing = true;
    const real = fs.fdatasync;
    mock.method(fs, 'fdatasync', (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      if (failing) setTimeout(cb, 5, Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
      else real(fd, cb);
    });
    syncBuiltinESMExports();
    const store = new EmbeddedStore(options(dir, { flush: 'sync' }), silent);
    try {
      await store.open();
      await store.putTopic({ name: 'T', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0, order: false });
      const refused = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.append('T', 0, [msg(`refused ${i}`)])));
      for (const r of refused) {
        assert.equal(r.status, 'rejected');
        assert.equal((r as PromiseRejectedResult).reason.kind, 'disk-full', 'answered as the disk refusing, not as a fault');
      }
      failing = false;
      const taken = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.append('T', 0, [msg(`taken ${i}`)])));
      assert.deepEqual(taken.map((r) => r.status), Array(10).fill('fulfilled'), 'appends queued behind a failed flush are not answered with its failure');
    } finally {
      await store.close();
      mock.restoreAll();
      syncBuiltinESMExports();
    }
  }));
