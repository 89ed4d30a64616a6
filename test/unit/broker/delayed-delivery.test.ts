import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BrokerContext } from '../../../src/broker/broker-context.js';
import { ScheduledDeliveryService } from '../../../src/broker/scheduled-delivery-service.js';
import type { NewMessage, StoredMessage } from '../../../src/store/message-store.js';
import { silent, withEmbeddedBroker } from '../../support/embedded-broker.js';

// What a delayed or timed message carries when it is delivered, and that it is held back once only: on a real
// embedded store with levels of 100 and 300 ms.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const message = (props: Record<string, string>): NewMessage => ({
  body: Buffer.from('m'), flag: 0, sysFlag: 0, properties: new Map(Object.entries({ UNIQ_KEY: 'id', WAIT: 'true', ...props })),
  bornTimestamp: Date.now(), bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n,
});

async function withDelays(fn: (ctx: BrokerContext, read: (topic: string) => Promise<StoredMessage[]>) => Promise<void>): Promise<void> {
  await withEmbeddedBroker('rop-delay-', [100, 300], async (ctx, store) => {
    const scheduled = new ScheduledDeliveryService(store, [100, 300], async (topic, queueId, m) => {
      await ctx.topicOrCreate(topic, 1);
      await ctx.storeMessages(topic, queueId, [m]);
    }, silent);
    await scheduled.start();
    const read = async (topic: string): Promise<StoredMessage[]> => (await store.read(topic, 0, 0, 100, 1 << 20)).messages;
    try {
      await ctx.topicOrCreate('T', 1);
      await fn(ctx, read);
    } finally {
      await scheduled.stop();
    }
  });
}

test('a delayed message is delivered once, with its (capped) level, REAL_TOPIC, REAL_QID and WAIT, as Apache RocketMQ leaves them', async () => {
  await withDelays(async (ctx, read) => {
    await ctx.putMessages('T', 0, [message({ DELAY: '2' })]);
    await ctx.putMessages('T', 0, [message({ DELAY: '9' })]);
    assert.equal((await read('T')).length, 0, 'held back');
    await sleep(1200);
    const got = await read('T');
    assert.equal(got.length, 2, 'each delivered once, not held back again for the level it still carries');
    for (const m of got) {
      assert.equal(m.properties.get('DELAY'), '2', 'the level, capped at the last one');
      assert.equal(m.properties.get('REAL_TOPIC'), 'T');
      assert.equal(m.properties.get('REAL_QID'), '0');
      assert.equal(m.properties.get('WAIT'), 'true');
    }
  });
});

test('a timed message keeps the delay it asked for and gets TIMER_OUT_MS, TIMER_ENQUEUE_MS and TIMER_DEQUEUE_MS', async () => {
  await withDelays(async (ctx, read) => {
    const sent = Date.now();
    await ctx.putMessages('T', 0, [message({ TIMER_DELAY_MS: '250' })]);
    await sleep(150);
    assert.equal((await read('T')).length, 0, 'held back');
    await sleep(1000);
    const [m, more] = await read('T');
    assert.ok(m && !more, 'delivered once');
    const p = m.properties;
    assert.equal(p.get('TIMER_DELAY_MS'), '250', 'as asked');
    assert.equal(p.get('TIMER_DELIVER_MS'), undefined, 'no delivery time of the gateway\'s own');
    const out = Number(p.get('TIMER_OUT_MS'));
    assert.ok(out >= sent + 250 && out < Date.now(), `due ${out - sent} ms after it was sent`);
    assert.ok(Number(p.get('TIMER_ENQUEUE_MS')) >= sent && Number(p.get('TIMER_ENQUEUE_MS')) < out);
    assert.ok(Number(p.get('TIMER_DEQUEUE_MS')) >= out);
    assert.equal(p.get('REAL_TOPIC'), 'T');
    assert.equal(p.get('DELAY'), undefined);
  });
});

test('a delivered timed message, or a dead letter with a level, is put anywhere again without waiting', async () => {
  await withDelays(async (ctx, read) => {
    await ctx.topicOrCreate('U', 1);
    await ctx.topicOrCreate('%DLQ%G', 1);
    await ctx.putMessages('U', 0, [message({ TIMER_DELAY_MS: '5000', TIMER_OUT_MS: String(Date.now() - 10) })]);
    await ctx.putMessages('%DLQ%G', 0, [message({ DELAY: '2', REAL_TOPIC: 'T' })]);
    assert.equal((await read('U')).length, 1);
    assert.equal((await read('%DLQ%G')).length, 1);
  });
});

test('a delay level wins over a delivery time, which is dropped, as on Apache RocketMQ 5', async () => {
  await withDelays(async (ctx, read) => {
    await ctx.putMessages('T', 0, [message({ DELAY: '1', TIMER_DELIVER_MS: String(Date.now() + 60_000), TIMER_DELAY_SEC: '60' })]);
    await sleep(800);
    const [m] = await read('T');
    assert.ok(m, 'delivered after its level, not its delivery time');
    assert.equal(m.properties.get('DELAY'), '1');
    assert.equal(m.properties.get('TIMER_DELIVER_MS'), undefined);
    assert.equal(m.properties.get('TIMER_DELAY_SEC'), undefined);
  });
});
