import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { lagAcross, maxOffsetAcross } from '../support/cluster.js';
import { Rocketmq5Clients } from '../support/rocketmq5.js';

// RocketMQ 5's SimpleConsumer (gRPC, pop-style) on the same store as 4.x clients: what a 4.x producer sent arrives
// intact; an unacked message comes back after its invisible time with its attempt raised; past the group's
// maximum it goes to the dead-letter topic; acks move the group's committed offset, so lag reads as for 4.x groups.
const QUEUES = 2;

const lag = (gw: GatewayProcess, group: string, topic: string): Promise<number> => lagAcross(gw.address, group, topic, QUEUES);

test('RocketMQ 5 SimpleConsumer: 4.x messages intact, acks, redelivery after the invisible time, dead letters', { timeout: 180_000 }, async (t) => {
  const gw = await startGateway({ grpc: true, args: ['--default-queues', String(QUEUES)] });
  const clients = new Rocketmq5Clients(gw, t);
  /** A SimpleConsumer whose receives wait up to 4 s for a message. */
  const consumer = (group: string, topic: string, filter = '*') => clients.simpleConsumer(group, topic, { filter, awaitDuration: 4000 });

  await t.test('a 4.x producer\'s messages reach a 5.x consumer with body, tag, keys, properties and id; acks leave no lag', async () => {
    const topic = 'FromRemoting';
    const sent = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count: 10, mode: 'sync', tags: 'TagA,TagB' })).filter((e) => e.event === 'sent');
    assert.equal(sent.length, 10);
    const c = consumer('FromRemotingGroup', topic);
    await c.startup();
    const got = new Map<string, Awaited<ReturnType<typeof c.receive>>[number]>();
    for (let round = 0; round < 10 && got.size < 10; round++) {
      for (const m of await c.receive(32, 30_000)) {
        got.set(m.messageId, m);
        await c.ack(m);
      }
    }
    assert.equal(got.size, 10);
    for (const s of sent) {
      const m = got.get(s.msgId as string);
      assert.ok(m, `4.x msgId ${String(s.msgId)} arrives as the v5 message id`);
      const i = s.i as number;
      assert.notEqual(m.corrupted, true, 'the body digest checks out');
      assert.equal(m.tag, i % 2 === 0 ? 'TagA' : 'TagB');
      assert.deepEqual(m.keys, [`key-${i}`, `k2-${i}`]);
      assert.equal(m.properties.get('idx'), String(i));
      assert.equal(m.properties.get('p-utf8'), `值-ü-${i}`);
      assert.equal(m.deliveryAttempt, 1);
      assert.equal(m.offset, s.queueOffset);
    }
    assert.equal(await lag(gw, 'FromRemotingGroup', topic), 0, 'every ack is committed');
  });

  await t.test('5.x to 5.x with a tag filter: only matching messages, and the skipped ones do not hold the offset back', async () => {
    const topic = 'Filtered';
    const producer = clients.producer([topic]);
    await producer.startup();
    for (let i = 0; i < 8; i++) await producer.send({ topic, tag: i % 2 === 0 ? 'Keep' : 'Skip', body: Buffer.from(`m${i}`) });
    const c = consumer('FilteredGroup', topic, 'Keep');
    await c.startup();
    const bodies: string[] = [];
    for (let round = 0; round < 10 && bodies.length < 4; round++) {
      for (const m of await c.receive(32, 30_000)) {
        bodies.push(m.body.toString());
        await c.ack(m);
      }
    }
    assert.deepEqual(bodies.sort(), ['m0', 'm2', 'm4', 'm6']);
    // A receive asks one broker of the route: with --workers, skipped messages behind the last match of one broker
    // are passed when a receive next asks that broker, and such a receive finds nothing.
    for (let round = 0; round < 4 && (await lag(gw, 'FilteredGroup', topic)) > 0; round++) assert.deepEqual(await c.receive(32, 30_000), []);
    assert.equal(await lag(gw, 'FilteredGroup', topic), 0);
  });

  await t.test('delayed messages reach a 5.x consumer when due: a 5.x delivery time and a 4.x delay level', async () => {
    const topic = 'Delayed';
    const producer = clients.producer([topic]);
    await producer.startup();
    const sentAt = Date.now();
    const v5 = await producer.send({ topic, delay: 2000, body: Buffer.from('v5-delayed') });
    // Delay level 1 waits one second by default.
    const [v4] = (await JavaHarness.run('produce', { namesrv: gw.address, topic, count: 1, mode: 'sync', 'delay-level': 1 })).filter((e) => e.event === 'sent');
    const c = consumer('DelayedGroup', topic);
    await c.startup();
    const arrived = new Map<string, { at: number; deliveryTimestamp?: Date; bornTimestamp?: Date }>();
    for (let round = 0; round < 10 && arrived.size < 2; round++) {
      for (const m of await c.receive(32, 30_000)) {
        arrived.set(m.messageId, { at: Date.now(), deliveryTimestamp: m.deliveryTimestamp, bornTimestamp: m.bornTimestamp });
        await c.ack(m);
      }
    }
    const a5 = arrived.get(v5.messageId);
    const a4 = arrived.get(v4!.msgId as string);
    assert.ok(a5 && a4, 'both delayed messages arrive');
    assert.ok(a5.at - sentAt >= 1900, `the 5.x message waited its 2 s (${a5.at - sentAt} ms)`);
    assert.ok(Math.abs(a5.deliveryTimestamp!.getTime() - (sentAt + 2000)) < 1000, 'its delivery time travels with it');
    assert.ok(a4.at - a4.bornTimestamp!.getTime() >= 950, `the 4.x message waited its delay level (${a4.at - a4.bornTimestamp!.getTime()} ms after it was sent)`);
    assert.equal(await lag(gw, 'DelayedGroup', topic), 0);
  });

  await t.test('an unacked message comes back after its invisible time, attempt 2; the old receipt handle is refused', async () => {
    const topic = 'Redelivered';
    const producer = clients.producer([topic]);
    await producer.startup();
    const receipt = await producer.send({ topic, body: Buffer.from('again') });
    const c = consumer('RedeliveryGroup', topic);
    await c.startup();
    // A receive asks one broker of the route; with --workers the message is on one of them.
    let first;
    for (let round = 0; round < 4 && !first; round++) [first] = await c.receive(1, 10_000);
    assert.equal(first?.messageId, receipt.messageId);
    // Receives take 10 s at least, as at Apache's proxy; a nack shortens it.
    await c.changeInvisibleDuration(first!, 2000);
    const poppedAt = Date.now();
    let second;
    for (let round = 0; round < 5 && !second; round++) [second] = await c.receive(1, 30_000);
    assert.ok(second, 'the message is handed out again');
    assert.equal(second.messageId, receipt.messageId);
    assert.equal(second.deliveryAttempt, 2);
    assert.ok(Date.now() - poppedAt >= 1500, 'not before its invisible time ran out');
    await assert.rejects(c.ack(first!), (err: Error) => /40013|receipt handle/.test(`${err.message} ${String((err as { code?: unknown }).code)}`));
    assert.equal(await lag(gw, 'RedeliveryGroup', topic), 1, 'still unacked');
    await c.ack(second);
    assert.equal(await lag(gw, 'RedeliveryGroup', topic), 0);
  });

  await t.test('receive rules as Apache\'s proxy: 10 s to 12 h invisible, 32 per receive, an expired handle refused', async () => {
    const topic = 'ReceiveRules';
    const producer = clients.producer([topic]);
    await producer.startup();
    for (let i = 0; i < 40; i++) await producer.send({ topic, body: Buffer.from(`r${i}`) });
    const c = consumer('ReceiveRulesGroup', topic);
    await c.startup();
    const code = (err: unknown) => `${String((err as { code?: unknown }).code)} ${(err as Error).message}`;
    await assert.rejects(c.receive(1, 9999), (err) => /40011/.test(code(err)) && /too small\. min is 10000/.test(code(err)));
    await assert.rejects(c.receive(1, 12 * 3600_000 + 1), (err) => /40011/.test(code(err)) && /too large/.test(code(err)));
    let largest = 0;
    const received = [];
    for (let round = 0; round < 10 && received.length < 40; round++) {
      const batch = await c.receive(64, 30_000);
      largest = Math.max(largest, batch.length);
      received.push(...batch);
    }
    assert.equal(received.length, 40);
    assert.ok(largest <= 32, `at most 32 per receive (got ${largest})`);
    const [late, ...rest] = received;
    for (const m of rest) await c.ack(m);
    await c.changeInvisibleDuration(late!, 200);
    await new Promise((r) => setTimeout(r, 500));
    await assert.rejects(c.ack(late!), (err) => /40013/.test(code(err)) && /expired/.test(code(err)), 'acked after its invisible time ran out');
    let again;
    for (let round = 0; round < 5 && !again; round++) [again] = await c.receive(1, 30_000);
    assert.equal(again?.messageId, late!.messageId, 'handed out again');
    await c.ack(again!);
    assert.equal(await lag(gw, 'ReceiveRulesGroup', topic), 0);
  });

  await t.test('past the group\'s maximum attempts a message goes to %DLQ%group instead of being delivered again', async () => {
    const topic = 'DeadLettered';
    const group = 'DeadLetterGroup';
    // updateSubGroup: two deliveries at most (retryMaxTimes 1).
    await RemotingProbe.declareGroup(gw.address, { groupName: group, retryMaxTimes: 1 });
    const producer = clients.producer([topic]);
    await producer.startup();
    await producer.send({ topic, body: Buffer.from('doomed'), keys: ['doomed-key'] });
    const c = consumer(group, topic);
    await c.startup();
    const attempts: number[] = [];
    for (let round = 0; round < 6; round++) {
      for (const m of await c.receive(1, 10_000)) {
        attempts.push(m.deliveryAttempt!);
        await c.changeInvisibleDuration(m, 500);
      }
      if ((await maxOffsetAcross(gw.address, `%DLQ%${group}`, 0).catch(() => 0)) > 0) break;
    }
    assert.deepEqual(attempts, [1, 2], 'delivered twice, then no more');
    assert.equal(await maxOffsetAcross(gw.address, `%DLQ%${group}`, 0), 1, 'one dead letter');
    assert.equal(await lag(gw, group, topic), 0, 'a dead-lettered message counts as consumed');
  });
});
