import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerContext } from '../../../src/broker/broker-context.js';
import { PopConsumptionService, type PopRequest } from '../../../src/broker/pop-consumption-service.js';
import { LongPolls } from '../../../src/broker/long-polls.js';
import { EVERYTHING } from '../../../src/protocol/subscription.js';
import { withEmbeddedBroker } from '../../support/embedded-broker.js';

// Pop consumption on a real embedded store, for what end-to-end tests cannot wait for: renewals of an
// auto-renewed pop (whose invisible time is a minute for real clients).
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withPops(fn: (pops: PopConsumptionService, ctx: BrokerContext) => Promise<void>, messages = 2, maxSpan?: number): Promise<void> {
  await withEmbeddedBroker('rop-pop-', [1000], async (ctx) => {
    await ctx.topicOrCreate('T', 1);
    await ctx.putMessages('T', 0, Array.from({ length: messages }, (_, i) => ({
      body: Buffer.from(`m${i}`), flag: 0, sysFlag: 0, properties: new Map([['UNIQ_KEY', `id-${i}`]]),
      bornTimestamp: Date.now(), bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
    })));
    const polls = new LongPolls(ctx.store);
    try {
      await fn(new PopConsumptionService(ctx, polls, maxSpan), ctx);
    } finally {
      polls.close();
    }
  });
}

const request = (over: Partial<PopRequest> = {}): PopRequest => ({
  group: 'G', topic: 'T', subscription: EVERYTHING, maxMessages: 1, invisibleMs: 300, waitMs: 0, maxDeliveryAttempts: 17, orderly: false, ...over,
});

test('an auto-renewed message stays invisible while its consumer is connected, and comes back once it is gone', async () => {
  await withPops(async (pops) => {
    let connected = true;
    const signal = new AbortController().signal;
    const [first] = await pops.pop(request({ renewWhile: () => connected }), signal);
    assert.equal(first?.message.body.toString(), 'm0');
    await sleep(400);
    const meanwhile = await pops.pop(request({ maxMessages: 2 }), signal);
    assert.deepEqual(meanwhile.map((p) => p.message.body.toString()), ['m1'], 'm0 was renewed, not handed out again');
    connected = false;
    await sleep(400);
    const after = await pops.pop(request({ maxMessages: 2 }), signal);
    assert.deepEqual(after.map((p) => [p.message.body.toString(), p.deliveryAttempt]), [['m0', 2], ['m1', 2]], 'm0 again once its consumer left; m1, popped without renewal, too');
  });
});

test('a consumer that changes a message\'s invisible time takes over from renewal; the old receipt handle is refused', async () => {
  await withPops(async (pops) => {
    const signal = new AbortController().signal;
    const [first] = await pops.pop(request({ renewWhile: () => true }), signal);
    const handle = pops.changeInvisibleDuration('G', 'T', first!.receiptHandle, 100);
    await assert.rejects(pops.ack('G', 'T', first!.receiptHandle), /not the current one/);
    await sleep(200);
    const [again] = await pops.pop(request(), signal);
    assert.equal(again?.message.body.toString(), 'm0', 'the nack stands: no renewal after it');
    assert.equal(again?.deliveryAttempt, 2);
    await assert.rejects(pops.ack('G', 'T', handle), /not the current one/, 'the handle of the nack is spent by the redelivery');
  });
});

test('an orderly queue hands out nothing more while a message of it is in flight', async () => {
  await withPops(async (pops, ctx) => {
    const signal = new AbortController().signal;
    const [first] = await pops.pop(request({ orderly: true }), signal);
    assert.deepEqual(await pops.pop(request({ orderly: true }), signal), [], 'm1 waits for m0');
    await pops.ack('G', 'T', first!.receiptHandle);
    const [next] = await pops.pop(request({ orderly: true }), signal);
    assert.equal(next?.message.body.toString(), 'm1');
    await pops.ack('G', 'T', next!.receiptHandle);
    assert.equal(await ctx.store.committedOffset('G', 'T', 0), 2, 'acks become the committed offset');
  });
});

test('a FIFO batch whose first message is not acked comes back whole, from it on, acked ones included, as from Apache', async () => {
  await withPops(async (pops, ctx) => {
    const signal = new AbortController().signal;
    const fifo = (over: Partial<PopRequest> = {}) => request({ orderly: true, maxMessages: 3, invisibleMs: 200, ...over });
    const batch = await pops.pop(fifo(), signal);
    assert.deepEqual(batch.map((p) => p.message.body.toString()), ['m0', 'm1', 'm2']);
    await pops.ack('G', 'T', batch[1]!.receiptHandle);
    await pops.ack('G', 'T', batch[2]!.receiptHandle);
    assert.deepEqual(await pops.pop(fifo(), signal), [], 'nothing while m0 is invisible');
    await sleep(300);
    const again = await pops.pop(fifo(), signal);
    assert.deepEqual(again.map((p) => [p.message.body.toString(), p.deliveryAttempt]), [['m0', 2], ['m1', 2], ['m2', 2]]);
    for (const p of again) await pops.ack('G', 'T', p.receiptHandle);
    assert.equal(await ctx.store.committedOffset('G', 'T', 0), 3);
    assert.deepEqual(await pops.pop(fifo(), signal), [], 'all consumed');
  }, 3);
});

test('a FIFO batch acked from its start is not read again; one past its attempts goes to the dead letters, the rest come back', async () => {
  await withPops(async (pops, ctx) => {
    const signal = new AbortController().signal;
    const fifo = (over: Partial<PopRequest> = {}) => request({ orderly: true, maxMessages: 3, invisibleMs: 200, maxDeliveryAttempts: 1, ...over });
    const batch = await pops.pop(fifo(), signal);
    await pops.ack('G', 'T', batch[0]!.receiptHandle);
    await pops.ack('G', 'T', batch[2]!.receiptHandle);
    await sleep(300);
    const again = await pops.pop(fifo({ maxDeliveryAttempts: 2 }), signal);
    assert.deepEqual(again.map((p) => [p.message.body.toString(), p.deliveryAttempt]), [['m1', 2], ['m2', 2]], 'm0 was acked before the first unacked one');
    await sleep(300);
    const third = await pops.pop(fifo({ maxDeliveryAttempts: 2 }), signal);
    assert.deepEqual(third.map((p) => p.message.body.toString()), [], 'both past their attempts: dead letters');
    assert.equal(await ctx.store.committedOffset('G', 'T', 0), 3);
    assert.equal(await ctx.store.maxOffset('%DLQ%G', 0), 2);
  }, 3);
});

test('messages released (their receive was gone) are handed out again at once, the lost delivery not counted', async () => {
  await withPops(async (pops) => {
    const signal = new AbortController().signal;
    const popped = await pops.pop(request({ maxMessages: 2, invisibleMs: 60_000, renewWhile: () => true }), signal);
    assert.equal(popped.length, 2);
    pops.release('G', 'T', popped);
    const again = await pops.pop(request({ maxMessages: 2 }), signal);
    assert.deepEqual(again.map((p) => [p.message.body.toString(), p.deliveryAttempt]), [['m0', 1], ['m1', 1]]);
    await assert.rejects(pops.ack('G', 'T', popped[0]!.receiptHandle), /not the current one/);
  });
});

test('a queue hands out nothing new past its span from the oldest unacked message, and goes on once that is acked', async () => {
  await withPops(async (pops) => {
    const signal = new AbortController().signal;
    const [held] = await pops.pop(request({ invisibleMs: 60_000 }), signal);
    const [next] = await pops.pop(request(), signal);
    await pops.ack('G', 'T', next!.receiptHandle);
    assert.deepEqual(await pops.pop(request(), signal), [], 'm2 waits: two past m0 is the span');
    await pops.ack('G', 'T', held!.receiptHandle);
    const [after] = await pops.pop(request(), signal);
    assert.equal(after?.message.body.toString(), 'm2');
  }, 3, 2);
});
