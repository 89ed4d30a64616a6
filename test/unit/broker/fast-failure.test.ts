import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { FastFailure } from '../../../src/broker/fast-failure.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import { grpcStatus, remotingErrorAnswer } from '../../../src/errors/boundaries.js';

const busy = (why: RegExp) => (err: unknown) => err instanceof BrokerError && err.kind === 'busy' && why.test(err.message);

/** Blocks the event loop, as a burst of synchronous work does. */
function blockFor(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

test('a send to a queue whose oldest append in flight started longer ago than the bound is refused busy; other queues are not', async () => {
  const ff = new FastFailure(100, 100);
  try {
    await ff.track('T', 0, async () => undefined);
    let settle!: () => void;
    const slow = ff.track('T', 0, () => new Promise<void>((resolve) => (settle = resolve)));
    const quick = ff.track('T', 0, async () => undefined);
    ff.admitSend('remoting', 'T', 0);
    await quick;
    await sleep(200);
    assert.throws(() => ff.admitSend('remoting', 'T', 0), busy(/^\[PCBUSY_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: 1$/));
    assert.throws(() => ff.admitSend('grpc', 'T', 0), busy(/PCBUSY/));
    ff.admitSend('remoting', 'T', 1);
    ff.admitSend('remoting', 'Other', 0);
    settle();
    await slow;
    ff.admitSend('remoting', 'T', 0);
    assert.deepEqual(ff.refused, { remoting: 1, grpc: 1 });
  } finally {
    ff.close();
  }
});

test('the first appends to a queue wait for the store to open it: however long, that refuses nothing', async () => {
  const ff = new FastFailure(100, 100);
  try {
    let settle!: () => void;
    const opening = ff.track('T', 0, () => new Promise<void>((resolve) => (settle = resolve)));
    await sleep(200);
    ff.admitSend('remoting', 'T', 0);
    settle();
    await opening;
    const slow = ff.track('T', 0, () => sleep(200));
    await sleep(150);
    assert.throws(() => ff.admitSend('remoting', 'T', 0), busy(/PCBUSY/), 'once open, a backlog is one');
    await slow;
  } finally {
    ff.close();
  }
});

test('by default an append may be held in the store for Apache\'s PCBUSY second, whatever the queue wait\'s bound', async () => {
  const ff = new FastFailure(100);
  try {
    await ff.track('T', 0, async () => undefined);
    const spike = ff.track('T', 0, () => sleep(300));
    await sleep(250);
    ff.admitSend('remoting', 'T', 0);
    await spike;
    assert.deepEqual(ff.refused, { remoting: 0, grpc: 0 });
  } finally {
    ff.close();
  }
});

test('an append that fails leaves the queue as one that settled', async () => {
  const ff = new FastFailure(100);
  try {
    await ff.track('T', 0, async () => undefined);
    await assert.rejects(ff.track('T', 0, async () => {
      await sleep(150);
      throw new Error('store failed');
    }), /store failed/);
    ff.admitSend('remoting', 'T', 0);
  } finally {
    ff.close();
  }
});

test('while the event loop runs later than the bound, sends and pulls are refused busy until it catches up', async () => {
  const ff = new FastFailure(100);
  try {
    ff.admit('remoting');
    blockFor(300);
    // The sampler runs late, after the block, and tells how long a request that arrived meanwhile waited; the next
    // sample, one period (25 ms) on, finds the loop on time again.
    await sleep(2);
    assert.throws(() => ff.admit('remoting'), busy(/^\[TIMEOUT_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: 0$/));
    assert.throws(() => ff.admitSend('grpc', 'T', 0), busy(/TIMEOUT_CLEAN_QUEUE/));
    await sleep(150);
    ff.admit('remoting');
    ff.admitSend('grpc', 'T', 0);
    assert.deepEqual(ff.refused, { remoting: 1, grpc: 1 });
  } finally {
    ff.close();
  }
});

test('busy is SYSTEM_BUSY on remoting and TOO_MANY_REQUESTS over gRPC, a refusal and not a fault', () => {
  const err = new BrokerError('busy', '[TIMEOUT_CLEAN_QUEUE]broker busy');
  assert.deepEqual(remotingErrorAnswer(err), { code: 2, remark: '[TIMEOUT_CLEAN_QUEUE]broker busy', fault: false });
  assert.equal(grpcStatus(err).code, 'TOO_MANY_REQUESTS');
});
