import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readdirSync, rmSync, statfsSync, statSync, truncateSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore, type EmbeddedStoreOptions } from '../../../src/store/embedded/embedded-store.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import type { NewMessage } from '../../../src/store/message-store.js';

const options = (dataDir: string, over: Partial<EmbeddedStoreOptions> = {}): EmbeddedStoreOptions => ({
  dataDir, flush: 'async', flushIntervalMs: 20, segmentBytes: 1 << 20, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000,
  maxOpenFiles: 64, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000, ...over,
});

const topic = { name: 'T', readQueueNums: 1, writeQueueNums: 1, perm: 6, topicSysFlag: 0, order: false };

const msg = (i: number): NewMessage => ({
  body: Buffer.from(`message ${i}`), flag: 0, sysFlag: 0, properties: new Map([['seq', String(i)]]), bornTimestamp: 1, bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});

function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) }) };
}

/**
 * Every write to a file fails with `code` while `full()` says so, as on a full disk; stdout and stderr are left
 * alone. Returns the undo.
 */
function refuseWrites(full: () => boolean, code = 'ENOSPC'): () => void {
  const real = fs.writeSync;
  mock.method(fs, 'writeSync', (fd: number, ...rest: unknown[]) => {
    if (fd > 2 && full()) throw Object.assign(new Error(`${code}: no space left on device, write`), { code });
    return (real as (...a: unknown[]) => number)(fd, ...rest);
  });
  syncBuiltinESMExports();
  return () => {
    mock.restoreAll();
    syncBuiltinESMExports();
  };
}

const rejectsAsDiskFull = (p: Promise<unknown>, what: string) =>
  assert.rejects(p, (err: unknown) => err instanceof BrokerError && err.kind === 'disk-full' && /disk/.test(err.message), what);

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'rop-disk-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bodies = async (store: EmbeddedStore, n: number): Promise<string[]> =>
  (await store.read('T', 0, 0, n + 1, 1 << 20)).messages.map((m) => m.body.toString());

test('a write the disk refuses (ENOSPC) is answered disk-full, logged once per run, and leaves the queue as it was', () =>
  withDir(async (dir) => {
    const { lines, log } = capturingLog();
    const store = new EmbeddedStore(options(dir), log);
    await store.open();
    await store.putTopic(topic);
    let full = false;
    const undo = refuseWrites(() => full);
    try {
      for (let i = 0; i < 3; i++) await store.append('T', 0, [msg(i)]);
      full = true;
      for (let i = 0; i < 5; i++) await rejectsAsDiskFull(store.append('T', 0, [msg(100 + i)]), `refused append ${i}`);
      assert.equal(store.status().disk!.refusedForDisk, 5);
      assert.deepEqual(await bodies(store, 3), ['message 0', 'message 1', 'message 2'], 'reads go on');
      full = false;
      const next = await store.append('T', 0, [msg(3)]);
      assert.equal(next.firstOffset, 3, 'the refused appends took no offsets');
      assert.deepEqual(await bodies(store, 4), ['message 0', 'message 1', 'message 2', 'message 3']);
    } finally {
      undo();
      await store.close();
    }
    const warned = lines.filter((l) => l.level === 40 && String(l.msg).startsWith('writing messages to the disk failed'));
    assert.equal(warned.length, 1, 'one warning for the run of refusals');
    assert.equal(warned[0]!.code, 'ENOSPC');
    assert.ok(!lines.some((l) => (l.err as { stack?: string } | undefined)?.stack), 'no stack trace logged');
    assert.ok(lines.some((l) => l.msg === 'writing messages to the disk succeeds again'));
    const reopened = new EmbeddedStore(options(dir), pino({ level: 'silent' }));
    await reopened.open();
    assert.deepEqual(await bodies(reopened, 4), ['message 0', 'message 1', 'message 2', 'message 3'], 'and so it is after a restart');
    await reopened.close();
  }));

test('above disk-max-used-ratio new messages from clients are refused disk-full; under it they are taken', () =>
  withDir(async (dir) => {
    const s = statfsSync(dir);
    const used = ((s.blocks - s.bfree) * 100) / (s.blocks - s.bfree + s.bavail);
    const below = new EmbeddedStore(options(dir, { diskMaxUsedRatio: Math.min(100, Math.ceil(used) + 1) }), pino({ level: 'silent' }));
    await below.open();
    below.ensureRoomForMessages();
    assert.ok(Math.abs(below.status().disk!.usedRatio * 100 - used) < 1, 'the measured ratio is the file system\'s');
    await below.close();
    if (used < 2) return;
    const above = new EmbeddedStore(options(dir, { diskMaxUsedRatio: Math.floor(used) - 1 }), pino({ level: 'silent' }));
    await above.open();
    try {
      assert.throws(() => above.ensureRoomForMessages(), (err: unknown) => err instanceof BrokerError && err.kind === 'disk-full' && /over the limit of/.test(err.message));
      assert.equal(above.status().disk!.refusedForDisk, 1);
      await above.putTopic(topic);
      await above.append('T', 0, [msg(0)]);
      await above.commitOffset('G', 'T', 0, 1);
      assert.equal(await above.committedOffset('G', 'T', 0), 1, 'the gateway\'s own writes and offset commits go on');
    } finally {
      await above.close();
    }
  }));

test('the store opens on a disk that takes no write, recovery needing one included; what it could not write is written once it can', () =>
  withDir(async (dir) => {
    let store = new EmbeddedStore(options(dir), pino({ level: 'silent' }));
    await store.open();
    await store.putTopic(topic);
    for (let i = 0; i < 10; i++) await store.append('T', 0, [msg(i)]);
    await store.commitOffset('G', 'T', 0, 4);
    await store.close();
    // A crash had lost the index entries of the last records, and torn the last one.
    const qdir = join(dir, 'queues', 'T', '0');
    const idx = join(qdir, readdirSync(qdir).find((f) => f.endsWith('.idx'))!);
    truncateSync(idx, 4 * 6);
    const log = join(qdir, readdirSync(qdir).find((f) => f.endsWith('.log'))!);
    truncateSync(log, statSync(log).size - 3);

    let full = true;
    const undo = refuseWrites(() => full);
    try {
      store = new EmbeddedStore(options(dir), pino({ level: 'silent' }));
      await store.open();
      assert.equal(await store.maxOffset('T', 0), 9, 'the torn record is cut, the rest recovered');
      assert.deepEqual(await bodies(store, 9), Array.from({ length: 9 }, (_, i) => `message ${i}`));
      assert.equal(statSync(idx).size, 4 * 6, 'the index entries it could not write wait');
      await rejectsAsDiskFull(store.append('T', 0, [msg(9)]), 'a send');
      await rejectsAsDiskFull(store.putTopic({ ...topic, name: 'New' }), 'a new topic');
      assert.equal(store.getTopic('New'), undefined, 'a topic topics.json could not take is no topic');
      await store.commitOffset('G', 'T', 0, 7);
      assert.equal(await store.committedOffset('G', 'T', 0), 7, 'offset commits go on');
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(store.status().disk!.flushErrors > 0, 'the flushes that cannot write are counted');
      full = false;
      for (let waited = 0; statSync(idx).size < 4 * 9 && waited < 5000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      assert.equal(statSync(idx).size, 4 * 9, 'a later flush wrote the pending index entries');
      await store.append('T', 0, [msg(9)]);
      await store.putTopic({ ...topic, name: 'New' });
      await store.append('New', 0, [msg(0)]);
      assert.equal((await store.read('New', 0, 0, 1, 1 << 20)).messages[0]!.body.toString(), 'message 0', 'created once the disk takes writes');
      await store.close();
    } finally {
      undo();
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no half-written copy left taking space');
    store = new EmbeddedStore(options(dir), pino({ level: 'silent' }));
    await store.open();
    assert.deepEqual(await bodies(store, 10), Array.from({ length: 10 }, (_, i) => `message ${i}`), 'all there after a restart');
    assert.equal(await store.committedOffset('G', 'T', 0), 7, 'the commit made on the full disk was written once it could be');
    await store.close();
  }));
