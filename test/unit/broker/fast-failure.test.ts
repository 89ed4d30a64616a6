import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo } from 'node:net';
import { FastFailure } from '../../../src/broker/fast-failure.js';
import { BrokerError } from '../../../src/errors/broker-error.js';
import { grpcStatus, remotingErrorAnswer } from '../../../src/errors/boundaries.js';

const busy = (why: RegExp) => (err: unknown) => err instanceof BrokerError && err.kind === 'busy' && why.test(err.message);

/** Polls `check` until it holds, within two seconds. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), 'in time');
}

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

test('requests that waited out an event loop held past the bound are refused busy; later ones are not', async () => {
  const ff = new FastFailure(100);
  const server = createServer();
  const verdicts: string[] = [];
  server.on('connection', (socket) => socket.on('data', () => {
    try {
      ff.admit('remoting');
      ff.admitSend('grpc', 'T', 0);
      verdicts.push('admitted');
    } catch (err) {
      verdicts.push(busy(/^\[TIMEOUT_CLEAN_QUEUE\]broker busy, start flow control for a while, period in queue: \d+ms, size of queue: 0$/)(err) ? 'busy' : String(err));
    }
  }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    await once(client, 'connect');
    client.write('a');
    await until(() => verdicts.length === 1);
    // A request that arrives while the loop is held (here, in the check phase, as a long request holds it in the
    // poll phase) is read in the next turn, after the late sample.
    setImmediate(() => {
      client.write('b');
      blockFor(300);
    });
    await until(() => verdicts.length === 2);
    // One that arrives once the loop runs on time again has not waited.
    client.write('c');
    await until(() => verdicts.length === 3);
    await sleep(150);
    client.write('d');
    await until(() => verdicts.length === 4);
    assert.deepEqual(verdicts, ['admitted', 'busy', 'admitted', 'admitted']);
    assert.deepEqual(ff.refused, { remoting: 1, grpc: 0 });
  } finally {
    client.destroy();
    server.close();
    ff.close();
  }
});

test('busy is SYSTEM_BUSY on remoting and TOO_MANY_REQUESTS over gRPC, a refusal and not a fault', () => {
  const err = new BrokerError('busy', '[TIMEOUT_CLEAN_QUEUE]broker busy');
  assert.deepEqual(remotingErrorAnswer(err), { code: 2, remark: '[TIMEOUT_CLEAN_QUEUE]broker busy', fault: false });
  assert.equal(grpcStatus(err).code, 'TOO_MANY_REQUESTS');
});
