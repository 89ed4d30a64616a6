import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LongPolls } from '../../../src/broker/long-polls.js';
import type { MessageStore } from '../../../src/store/message-store.js';

/** The one store call LongPolls makes, counted: the test appends by calling the listeners itself. */
function appendingStore() {
  const listeners = new Set<(topic: string, queueId: number) => void>();
  const store = { onAppend: (l: (topic: string, queueId: number) => void) => (listeners.add(l), () => listeners.delete(l)) } as unknown as MessageStore;
  return { store, listeners, append: (topic: string, queueId: number) => listeners.forEach((l) => l(topic, queueId)) };
}

const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

test('an append wakes the pulls on its queue and the pops on its topic, and nothing else; many waits share one listener', async () => {
  const { store, listeners, append } = appendingStore();
  const polls = new LongPolls(store);
  const never = new AbortController().signal;
  const pullQ0 = polls.untilQueueGrows('T', 0, 60_000, async () => true);
  const pullQ1 = polls.untilQueueGrows('T', 1, 60_000, async () => true);
  const popT = polls.untilTopicChanges('T', 60_000, never);
  const popU = polls.untilTopicChanges('U', 60_000, never);
  await new Promise((r) => setImmediate(r));
  assert.equal(listeners.size, 1);
  assert.equal(polls.heldPulls, 2, 'pops are not pulls');
  append('T', 0);
  assert.equal(await settled(pullQ0), true);
  assert.equal(await settled(popT), true);
  assert.equal(await settled(pullQ1), false);
  assert.equal(await settled(popU), false);
  assert.equal(polls.heldPulls, 1);
  polls.close();
  await Promise.all([pullQ1, popU]);
  assert.equal(listeners.size, 0, 'closing unsubscribes');
});

test('a wait ends at its timeout, on abort, on wakeTopic, or at once when its queue is no longer empty', async () => {
  const { store } = appendingStore();
  const polls = new LongPolls(store);
  const t0 = Date.now();
  await polls.untilQueueGrows('T', 0, 30, async () => true);
  assert.ok(Date.now() - t0 >= 25);
  await polls.untilQueueGrows('T', 0, 60_000, async () => false);
  const abort = new AbortController();
  const aborted = polls.untilTopicChanges('T', 60_000, abort.signal);
  abort.abort();
  await aborted;
  const woken = polls.untilTopicChanges('T', 60_000, new AbortController().signal);
  polls.wakeTopic('T');
  await woken;
  assert.equal(polls.heldPulls, 0);
  polls.close();
});

test('wakeAll lets every poll answer; once closed, a poll answers at once and says the broker is stopping', async () => {
  const { store } = appendingStore();
  const polls = new LongPolls(store);
  const waits = [polls.untilQueueGrows('T', 0, 60_000, async () => true), polls.untilTopicChanges('U', 60_000, new AbortController().signal)];
  await new Promise((r) => setImmediate(r));
  polls.wakeAll();
  await Promise.all(waits);
  assert.equal(polls.stopping, false);
  polls.close();
  assert.equal(polls.stopping, true);
  const t0 = Date.now();
  await polls.untilQueueGrows('T', 0, 60_000, async () => true);
  await polls.untilTopicChanges('T', 60_000, new AbortController().signal);
  assert.ok(Date.now() - t0 < 1000);
});
