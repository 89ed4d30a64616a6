import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from '../support/gateway.js';
import { JavaHarness, deliveries, filterProps, type HarnessEvent } from '../support/java-harness.js';
import { RemotingProbe } from '../support/remoting-probe.js';
import { lagAcross } from '../support/cluster.js';
import { FilterExpression, Rocketmq5Clients } from '../support/rocketmq5.js';
import { FILTERED_COUNT as COUNT, FILTER_TAGS as TAGS, SQL_CASES, selected } from '../support/sql-cases.js';

// SQL92 subscriptions (Apache RocketMQ's property filter) from Apache's Java client 4.9.8, push and lite pull, and
// from the RocketMQ 5 Node SimpleConsumer: each gets exactly the messages its expression selects, computed here by
// hand from the properties the producer set, with Apache's three-valued logic for missing properties; an expression
// the broker cannot compile fails the consumer's start and moves no offset.
const QUEUES = 4;
const idx = (m: HarnessEvent): number => Number((m.props as Record<string, string>).idx);

let gw: GatewayProcess;
let dir: string;
before(async () => {
  gw = await startGateway({ http: true, grpc: true, args: ['--default-queues', String(QUEUES)] });
  dir = mkdtempSync(join(tmpdir(), 'rop-sql-'));
});
after(async () => {
  await gw.stop();
  gw.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `sql-consume` over `expressions` until every consumer has `wanted(k)` deliveries (and a little longer). */
async function consumeWith(topic: string, group: string, expressions: string[], wanted: (k: number) => number): Promise<JavaHarness> {
  const file = join(dir, `${group}.sql`);
  writeFileSync(file, expressions.join('\n'));
  const h = JavaHarness.start('sql-consume', { namesrv: gw.address, topic, group, 'sql-file': file, 'timeout-ms': 170_000 });
  const byConsumer = (e: HarnessEvent[], label: string): number => deliveries(e).filter((m) => m.consumer === label).length;
  await h.waitFor((e) => e.some((x) => x.event === 'ready'), 60_000, 'consumers started');
  await h.waitFor((e) => expressions.every((_, k) => byConsumer(e, `p${k}`) >= wanted(k) && byConsumer(e, `l${k}`) >= wanted(k)), 120_000, 'every consumer got its messages');
  // Anything more (a duplicate, a message that should not match) would arrive by now.
  await new Promise((r) => setTimeout(r, 2000));
  return h;
}

test('Java 4.9.8 push and lite-pull consumers with SQL92 selectors get exactly the matching messages', { timeout: 300_000 }, async () => {
  const topic = 'SqlFiltered';
  const produced = await JavaHarness.run('produce', { namesrv: gw.address, topic, count: COUNT, mode: 'async', tags: TAGS.join(','), 'filter-props': 'true' }, 120_000);
  assert.equal(produced.filter((e) => e.event === 'sent').length, COUNT);
  const h = await consumeWith(topic, 'SqlGroup', SQL_CASES.map(([sql]) => sql), (k) => selected(SQL_CASES[k]![1]).length);
  try {
    assert.deepEqual(h.events.filter((e) => e.event === 'start-failed'), [], 'every valid expression starts');
    for (const [k, [sql, pick]] of SQL_CASES.entries()) {
      for (const label of [`p${k}`, `l${k}`]) {
        const got = deliveries(h.events).filter((m) => m.consumer === label);
        assert.deepEqual(got.map(idx).sort((x, y) => x - y), selected(pick), `${label === `p${k}` ? 'push' : 'lite pull'} consumer of ${sql}`);
        for (const m of got) assert.deepEqual(Object.fromEntries(['a', 'b', 'c', 'd'].flatMap((p) => ((m.props as Record<string, string>)[p] === undefined ? [] : [[p, (m.props as Record<string, string>)[p]]]))), filterProps(idx(m)));
      }
    }
    // The skipped messages count as consumed: every push group's offsets reach the end. A queue whose last
    // messages do not match is committed to its end only after the client's held pull comes back empty (15 s).
    const lags = async (): Promise<number[]> => Promise.all(SQL_CASES.map((_, k) => lagAcross(gw.address, `SqlGroup-p${k}`, topic, QUEUES)));
    const deadline = Date.now() + 45_000;
    while ((await lags()).some((n) => n > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(await lags(), SQL_CASES.map(() => 0), 'lag of every push group');
    // Operators see what a group filters by, and how.
    const detail = (await (await fetch(`${gw.httpUrl}/api/groups/SqlGroup-p0`)).json()) as { subscriptions: Array<Record<string, string>> };
    assert.deepEqual(detail.subscriptions.find((s) => s.topic === topic), { topic, expression: SQL_CASES[0]![0], type: 'SQL92' });
  } finally {
    await h.stop();
  }
});

test('an SQL92 expression that does not compile fails start() and moves no offset; raw pulls and checks get the codes Apache answers', { timeout: 120_000 }, async () => {
  const topic = 'SqlInvalid';
  await JavaHarness.run('produce', { namesrv: gw.address, topic, count: 40, mode: 'sync', tags: TAGS.join(','), 'filter-props': 'true' });
  const file = join(dir, 'invalid.sql');
  writeFileSync(file, 'a >\nb IN (1, 2)');
  const h = JavaHarness.start('sql-consume', { namesrv: gw.address, topic, group: 'SqlBad', 'sql-file': file, 'timeout-ms': 60_000 });
  try {
    await h.waitFor((e) => e.some((x) => x.event === 'ready'), 60_000, 'consumers started');
    const failed = h.events.filter((e) => e.event === 'start-failed');
    assert.deepEqual(failed.map((e) => e.consumer).sort(), ['l0', 'l1', 'p0', 'p1'], 'every consumer of an invalid expression fails to start');
    assert.ok(failed.every((e) => /CODE: 23|SUBSCRIPTION_PARSE_FAILED|invalid/i.test(String(e.message))), JSON.stringify(failed));
    // The failed push consumers go on pulling (as the Java client does); nothing may be handed out or skipped.
    await new Promise((r) => setTimeout(r, 5000));
    assert.equal(deliveries(h.events).length, 0);
  } finally {
    await h.stop();
  }
  for (const g of ['SqlBad-p0', 'SqlBad-p1', 'SqlBad-l0', 'SqlBad-l1']) assert.equal(await lagAcross(gw.address, g, topic, QUEUES), 40, `no offset of ${g} moved`);

  const probe = await RemotingProbe.connect(gw.address);
  try {
    const pull = (subscription: string, expressionType: string) => probe.invoke(11, {
      consumerGroup: 'SqlRaw', topic, queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription, expressionType, subVersion: '0',
    });
    assert.equal((await pull('a >', 'SQL92')).code, 23, 'SUBSCRIPTION_PARSE_FAILED');
    assert.equal((await pull('a > 1', 'CLASS')).code, 1, 'a filter type the broker lacks is SYSTEM_ERROR');
    const ok = await pull('a > 5', 'SQL92');
    assert.equal(ok.code, 0);
    const check = (subString: string, expressionType: string) => probe.invoke(46, {}, Buffer.from(JSON.stringify({ clientId: 'c', group: 'SqlRaw', subscriptionData: { topic, subString, expressionType } })));
    assert.equal((await check('a > 5', 'SQL92')).code, 0);
    assert.equal((await check('TagA', 'TAG')).code, 0);
    const bad = await check('a > ', 'SQL92');
    assert.equal(bad.code, 23);
    assert.match(bad.remark ?? '', /a > /);
    // A push consumer pulling before its heartbeat registered a subscription (after a gateway restart): one of an
    // SQL92 subscription is told so, as Apache answers; one of a TAG subscription gets everything (its client filters).
    const unregistered = (expressionType: string) => probe.invoke(11, { consumerGroup: 'NeverHeartbeat', topic, queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: '0', commitOffset: '0', suspendTimeoutMillis: '0', expressionType });
    assert.equal((await unregistered('SQL92')).code, 24);
    assert.equal((await unregistered('TAG')).code, 0);
  } finally {
    probe.close();
  }
});

test('with the property filter off (--no-enable-property-filter) SQL92 subscriptions are refused, never dropped', { timeout: 120_000 }, async () => {
  const off = await startGateway({ args: ['--no-enable-property-filter'] });
  try {
    const topic = 'SqlOff';
    await JavaHarness.run('produce', { namesrv: off.address, topic, count: 20, mode: 'sync', 'filter-props': 'true' });
    const h = JavaHarness.start('push-consume', { namesrv: off.address, topic, group: 'SqlOffGroup', sql: 'a > 5', 'timeout-ms': 60_000 });
    try {
      await h.waitFor((e) => e.some((x) => x.event === 'start-failed'), 60_000, 'start refused');
      assert.match(String(h.events.find((e) => e.event === 'start-failed')!.message), /does not support consumer to filter message by SQL92/);
      await new Promise((r) => setTimeout(r, 5000));
      assert.equal(deliveries(h.events).length, 0);
    } finally {
      await h.stop();
    }
    assert.equal(await lagAcross(off.address, 'SqlOffGroup', topic, 4), 20, 'nothing was skipped');
    const probe = await RemotingProbe.connect(off.address);
    try {
      const r = await probe.invoke(11, { consumerGroup: 'SqlOffRaw', topic, queueId: '0', queueOffset: '0', maxMsgNums: '32', sysFlag: '4', commitOffset: '0', suspendTimeoutMillis: '0', subscription: 'a > 5', expressionType: 'SQL92', subVersion: '0' });
      assert.equal(r.code, 1);
    } finally {
      probe.close();
    }
  } finally {
    await off.stop();
    off.cleanup();
  }
});

test('a RocketMQ 5 SimpleConsumer with an SQL filter gets exactly the matching messages; an invalid one is refused', { timeout: 120_000 }, async (t) => {
  const topic = 'SqlFilteredV5';
  const count = 120;
  await JavaHarness.run('produce', { namesrv: gw.address, topic, count, mode: 'async', tags: TAGS.join(','), 'filter-props': 'true' });
  const clients = new Rocketmq5Clients(gw, { after: (fn) => t.after(fn) });
  const [sql, pick] = SQL_CASES[5]!;
  const c = clients.simpleConsumer('SqlV5Group', topic, { filter: new FilterExpression(sql, 2), awaitDuration: 2000 });
  await c.startup();
  const want = Array.from({ length: count }, (_, i) => i).filter(pick);
  const got = new Set<number>();
  for (let round = 0; round < 20 && got.size < want.length; round++) {
    for (const m of await c.receive(32, 30_000)) {
      const i = Number(m.properties.get('idx'));
      assert.ok(!got.has(i), `message ${i} delivered once`);
      got.add(i);
      await c.ack(m);
    }
  }
  assert.deepEqual([...got].sort((x, y) => x - y), want);
  assert.equal(await lagAcross(gw.address, 'SqlV5Group', topic, QUEUES), 0, 'skipped messages count as consumed');
  const bad = clients.simpleConsumer('SqlV5Bad', topic, { filter: new FilterExpression('a >', 2), awaitDuration: 1000 });
  await bad.startup();
  await assert.rejects(bad.receive(32, 10_000), /ILLEGAL_FILTER_EXPRESSION|invalid|filter/i);
});
