import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PulsarStore } from '../../src/store/pulsar/pulsar-store.js';
import { topicWriteAccepted, type TopicEntry } from '../../src/store/pulsar/topic-entry.js';
import type { SystemTable } from '../../src/store/pulsar/system-table.js';
import { createLogger } from '../../src/logger.js';
import type { NewMessage } from '../../src/store/message-store.js';
import { ownNamespaces, pulsarAdminUrl } from '../support/pulsar.js';

// Gateways sharing one cluster must agree on every topic's config and queue keys however their writes
// interleave: the topics table's log order decides, and every store applies the same rule to it.
const { ns, options, remove } = ownNamespaces('order');
const log = createLogger('silent');
const stores: PulsarStore[] = [];

const entry = (name: string, queueKeys: number[]): TopicEntry =>
  ({ name, readQueueNums: queueKeys.length, writeQueueNums: queueKeys.length, perm: 6, topicSysFlag: 0, order: false, queueKeys });
const topicConfig = (name: string, queues: number) => ({ name, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0, order: false });
const message = (text: string): NewMessage => ({
  body: Buffer.from(text), flag: 0, sysFlag: 0, properties: new Map(), bornTimestamp: Date.now(),
  bornHost: '10.0.0.1:1234', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});
/** The store's topics table (private), to compare queue keys, which the MessageStore interface does not show. */
const tableOf = (s: PulsarStore): Map<string, TopicEntry> =>
  new Map((s as unknown as { topics: SystemTable<TopicEntry> }).topics.entries());

before(async () => {
  for (let i = 0; i < 3; i++) {
    const s = new PulsarStore(options, log);
    await s.open();
    stores.push(s);
  }
});

after(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await remove();
});

test('the topics rule: keys unique across topics, a topic keeps its keys and may only add some', () => {
  const state = new Map([['a', entry('A', [0, 1])], ['b', entry('B', [2])]]);
  assert.equal(topicWriteAccepted(state, 'c', entry('C', [3, 4])), true, 'new topic, free keys');
  assert.equal(topicWriteAccepted(state, 'c', entry('C', [3, 2])), false, 'a key of another topic');
  assert.equal(topicWriteAccepted(state, 'c', entry('C', [3, 3])), false, 'a key twice');
  assert.equal(topicWriteAccepted(state, 'c', entry('C', [-1])), false, 'not a queue key');
  assert.equal(topicWriteAccepted(state, 'a', entry('A', [0, 1])), true, 'the same keys again');
  assert.equal(topicWriteAccepted(state, 'a', { ...entry('A', [0, 1]), perm: 4 }), true, 'other fields change freely');
  assert.equal(topicWriteAccepted(state, 'a', entry('A', [0, 1, 5])), true, 'a queue added');
  assert.equal(topicWriteAccepted(state, 'a', entry('A', [0])), false, 'a queue dropped');
  assert.equal(topicWriteAccepted(state, 'a', entry('A', [1, 0])), false, 'keys re-ordered');
  assert.equal(topicWriteAccepted(state, 'a', entry('A', [0, 5])), false, 'a key replaced');
  assert.equal(topicWriteAccepted(state, 'a', entry('A', [0, 1, 2])), false, 'an added key of another topic');
  assert.equal(topicWriteAccepted(state, 'a', undefined), true, 'deletes always pass');
});

/** Waits until every store holds the same topics table with `count` topics; returns it. */
async function converged(count: number): Promise<Map<string, TopicEntry>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const tables = stores.map((s) => JSON.stringify([...tableOf(s)].sort(([a], [b]) => a.localeCompare(b))));
    if (tables.every((t) => t === tables[0]) && tableOf(stores[0]!).size === count) return tableOf(stores[0]!);
    if (Date.now() > deadline) assert.fail(`stores did not converge: sizes ${stores.map((s) => tableOf(s).size).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('50 topics created concurrently through 3 stores: one config per topic everywhere, unique queue keys, every locator resolves', async () => {
  const requests: Array<{ store: number; name: string; queues: number }> = [];
  for (let i = 0; i < 45; i++) requests.push({ store: i % 3, name: `Order${i}`, queues: 1 + (i % 4) });
  // The same 5 names through every store, each asking for a different number of queues.
  for (let i = 0; i < 5; i++) for (let s = 0; s < 3; s++) requests.push({ store: s, name: `Shared${i}`, queues: 1 + s + i % 2 });
  const started = performance.now();
  const results = await Promise.all(requests.map((r) => stores[r.store]!.putTopic(topicConfig(r.name, r.queues))));
  const createMs = performance.now() - started;
  for (const [i, r] of requests.entries()) assert.equal(results[i]!.name, r.name);

  const table = await converged(50);
  for (const s of stores) {
    assert.equal(s.listTopics().length, 50);
    for (const [, t] of table) assert.deepEqual(s.getTopic(t.name), stores[0]!.getTopic(t.name), t.name);
  }
  const allKeys = [...table.values()].flatMap((t) => t.queueKeys);
  assert.equal(new Set(allKeys).size, allKeys.length, 'queue keys unique across topics');
  for (const [, t] of table) {
    const asked = requests.filter((r) => r.name === t.name).map((r) => r.queues);
    assert.equal(t.queueKeys.length, Math.max(...asked), `${t.name} has a queue for every queue asked for`);
  }

  // One message per queue through a random store; every store resolves every locator to it.
  const sent: Array<{ locator: bigint; topic: string; queueId: number; offset: number }> = [];
  await Promise.all([...table.values()].flatMap((t) => t.queueKeys.map(async (_, queueId) => {
    const store = stores[Math.floor(Math.random() * stores.length)]!;
    const r = await store.append(t.name, queueId, [message(`${t.name}/${queueId}`)]);
    sent.push({ locator: r.locators[0]!, topic: t.name, queueId, offset: r.firstOffset });
  })));
  let right = 0;
  for (const s of stores) {
    for (const m of sent) {
      const found = await s.lookup(m.locator);
      if (found?.topic === m.topic && found.queueId === m.queueId && found.queueOffset === m.offset && found.body.toString() === `${m.topic}/${m.queueId}`) right++;
    }
  }
  console.log(`# ${requests.length} creations in ${createMs.toFixed(0)} ms; ${allKeys.length} queues; ${right}/${sent.length * stores.length} lookups right`);
  assert.equal(right, sent.length * stores.length);
});

test('a store opened after the topics table was compacted sees the same topics as the stores that tailed it', async () => {
  const table = await converged(50);
  const topic = `persistent://rocketmq/${ns}-sys/topics`.slice('persistent://'.length);
  const res = await fetch(`${pulsarAdminUrl}/admin/v2/persistent/${topic}/compaction`, { method: 'PUT' });
  assert.ok(res.ok || res.status === 409, `compaction request: HTTP ${res.status}`);
  for (const deadline = Date.now() + 30_000; ;) {
    const status = (await (await fetch(`${pulsarAdminUrl}/admin/v2/persistent/${topic}/compaction`)).json()) as { status: string };
    if (status.status === 'SUCCESS') break;
    assert.notEqual(status.status, 'ERROR');
    assert.ok(Date.now() < deadline, 'compaction did not finish');
    await new Promise((r) => setTimeout(r, 200));
  }
  const fresh = new PulsarStore(options, log);
  await fresh.open();
  try {
    const seen = tableOf(fresh);
    assert.deepEqual(new Map([...seen].sort(([a], [b]) => a.localeCompare(b))), new Map([...table].sort(([a], [b]) => a.localeCompare(b))));
  } finally {
    await fresh.close();
  }
});
