import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { MessageKeyIndex } from '../../../src/broker/message-key-index.js';
import { KEY_INDEX_TOPIC, plainTopic } from '../../../src/broker/system-topics.js';
import type { MessageStore, NewMessage } from '../../../src/store/message-store.js';

const FLUSH_MS = 20;

/** A logger whose lines the test reads. */
function capturingLog() {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) }) };
}

const openStore = async (dir: string): Promise<EmbeddedStore> => {
  const store = new EmbeddedStore({
    dataDir: dir, flush: 'async', flushIntervalMs: 50, segmentBytes: 1 << 20, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000,
    maxOpenFiles: 64, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000,
  }, pino({ level: 'silent' }));
  await store.open();
  return store;
};

const message = (id: string, keys: string): NewMessage => ({
  body: Buffer.from(`body of ${id}`), flag: 0, sysFlag: 0, properties: new Map([['UNIQ_KEY', id], ['KEYS', keys]]),
  bornTimestamp: Date.now(), bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});

/** Stores `m` in topic T and notes its keys, as BrokerContext.storeMessages does. */
async function send(store: MessageStore, index: MessageKeyIndex, m: NewMessage): Promise<void> {
  index.add('T', [m], await store.append('T', 0, [m]));
}

/** Bodies of the messages the index finds under `key` (a message id when `unique`). */
async function find(store: MessageStore, index: MessageKeyIndex, key: string, unique = false): Promise<string[]> {
  const found = await index.query({ topic: 'T', key, unique, begin: 0, end: Number.MAX_SAFE_INTEGER, max: 32 }, (l) => store.lookup(l));
  return found.map((m) => m.body.toString()).sort();
}

/** `store`, whose appends to the index topic fail while `failing()` says so, as on a full disk. */
function flakyIndexStore(store: EmbeddedStore, failing: () => boolean): MessageStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'append') {
        return (topic: string, queueId: number, messages: NewMessage[]) => {
          if (topic === KEY_INDEX_TOPIC && failing()) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
          return target.append(topic, queueId, messages);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a key of 70,000 bytes is skipped (counted, logged once) and every other key and id stays findable, across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-key-index-'));
  try {
    const { lines, log } = capturingLog();
    let store = await openStore(dir);
    await store.putTopic(plainTopic('T', 1));
    let index = new MessageKeyIndex(store, FLUSH_MS, log);
    await index.start();
    const huge = 'x'.repeat(70_000);
    await send(store, index, message('id-a', 'k-a'));
    await send(store, index, message('id-b', `${huge} k-b`));
    await send(store, index, message('id-c', `k-c ${huge}`));
    await sleep(4 * FLUSH_MS);
    await send(store, index, message('id-d', 'k-d'));
    for (const [key, body] of [['k-a', 'body of id-a'], ['k-b', 'body of id-b'], ['k-c', 'body of id-c'], ['k-d', 'body of id-d']] as const) {
      assert.deepEqual(await find(store, index, key), [body], key);
    }
    assert.deepEqual(await find(store, index, 'id-b', true), ['body of id-b']);
    assert.deepEqual(await find(store, index, huge), [], 'the unencodable key itself is not indexed');
    assert.equal(index.losses.unencodable, 2);
    assert.equal(lines.filter((l) => String(l.msg).includes('too long for the key index')).length, 1, 'logged once');
    assert.ok((await store.maxOffset(KEY_INDEX_TOPIC, 0)) >= 1, 'records were written after the skipped keys');
    await index.stop();
    await store.close();

    store = await openStore(dir);
    index = new MessageKeyIndex(store, FLUSH_MS, log);
    await index.start();
    try {
      for (const id of ['a', 'b', 'c', 'd']) {
        assert.deepEqual(await find(store, index, `k-${id}`), [`body of id-${id}`], `k-${id} after the restart`);
        assert.deepEqual(await find(store, index, `id-${id}`, true), [`body of id-${id}`], `id-${id} after the restart`);
      }
    } finally {
      await index.stop();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('records the store refuses are retried: their keys are found meanwhile, written once it takes them again, and kept across a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-key-index-'));
  try {
    const { lines, log } = capturingLog();
    let store = await openStore(dir);
    await store.putTopic(plainTopic('T', 1));
    let refusing = true;
    let index = new MessageKeyIndex(flakyIndexStore(store, () => refusing), FLUSH_MS, log);
    await index.start();
    for (let i = 0; i < 20; i++) await send(store, index, message(`id-${i}`, `k-${i} shared`));
    await sleep(10 * FLUSH_MS);
    assert.equal(await store.maxOffset(KEY_INDEX_TOPIC, 0), 0, 'nothing written while refused');
    assert.deepEqual(await find(store, index, 'k-7'), ['body of id-7'], 'found while its record waits');
    assert.equal((await find(store, index, 'shared')).length, 20);
    const warned = lines.filter((l) => l.level === 40 && String(l.msg).includes('key index record cannot be written'));
    assert.equal(warned.length, 1, `one warning for the whole run of failures, not one per flush (${lines.length} lines)`);

    refusing = false;
    for (let waited = 0; (await store.maxOffset(KEY_INDEX_TOPIC, 0)) === 0 && waited < 5000; waited += FLUSH_MS) await sleep(FLUSH_MS);
    assert.ok((await store.maxOffset(KEY_INDEX_TOPIC, 0)) > 0, 'the held records were written once the store took them');
    assert.ok(lines.some((l) => l.msg === 'key index records are written again'));
    await send(store, index, message('id-late', 'k-late'));
    await index.stop();
    await store.close();

    store = await openStore(dir);
    index = new MessageKeyIndex(store, FLUSH_MS, log);
    await index.start();
    try {
      assert.equal((await find(store, index, 'shared')).length, 20, 'every key written while refused is found after the restart');
      assert.deepEqual(await find(store, index, 'k-late'), ['body of id-late']);
      assert.equal(index.losses.overflow + index.losses.unencodable, 0);
    } finally {
      await index.stop();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('while records cannot be written, what waits in memory is bounded: the oldest entries are dropped and counted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rop-key-index-'));
  try {
    const store = await openStore(dir);
    await store.putTopic(plainTopic('T', 1));
    const index = new MessageKeyIndex(flakyIndexStore(store, () => true), FLUSH_MS, pino({ level: 'silent' }));
    await index.start();
    try {
      // 200 keys of 60,000 bytes: about 12 MB of entries, over the bound of 8 MiB.
      const keyOf = (i: number) => `${String(i).padStart(4, '0')}${'k'.repeat(60_000)}`;
      for (let i = 0; i < 200; i++) await send(store, index, message(`id-${i}`, keyOf(i)));
      assert.ok(index.losses.overflow > 0, 'some entries were dropped');
      assert.ok(index.losses.overflow < 2 * 200, 'not all of them (a message has two entries: its id and its key)');
      assert.deepEqual(await find(store, index, keyOf(199)), ['body of id-199'], 'the newest is kept');
      assert.deepEqual(await find(store, index, keyOf(0)), [], 'the oldest went first');
    } finally {
      await index.stop();
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
