import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { consumer, createTopic, differentialPerFile, produce, sleep, type Side } from '../support/differential.js';
import { FILTERED_COUNT, FILTER_TAGS, SQL_CASES, selected } from '../support/sql-cases.js';

// The same retry, delay, dead-letter and transaction scenarios, driven by Apache RocketMQ's Java client,
// against Apache RocketMQ's own name server and broker (4.9, from Maven Central) and against this gateway:
// the deliveries each side makes must be the same (timestamps aside, delays to the second); and SQL92 filters.
const TABLE = '1s 2s 1s 5s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s';
const sides = differentialPerFile({
  brokerConf: { messageDelayLevel: TABLE, transactionCheckInterval: 1000, transactionTimeOut: 2000, enablePropertyFilter: 'true' },
  gatewayArgs: ['--message-delay-level', TABLE, '--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '2000'],
});

const idxOf = (m: HarnessEvent): number => Number((m.props as Record<string, string>).idx);
const atMs = (m: HarnessEvent): number => Number(m.atMicros) / 1000;

/** Fails each message twice: the deliveries, per message, with the seconds between them. */
async function retryScenario(side: Side): Promise<string[]> {
  const { namesrv } = side;
  await createTopic(side, 'DiffRetry');
  // Apache RocketMQ creates a group's retry topic at its first heartbeat, after the consumer looked up its route.
  await createTopic(side, '%RETRY%DiffRetryGroup', 1);
  const c = await consumer(namesrv, { topic: 'DiffRetry', group: 'DiffRetryGroup', 'fail-times': 2 });
  try {
    await produce(namesrv, 'DiffRetry', 3);
    await c.waitFor((e) => deliveries(e).length >= 9, 60_000, '9 deliveries');
    await sleep(7000);
  } finally {
    await c.stop();
  }
  const got = deliveries(c.events);
  return [0, 1, 2].map((i) => {
    const mine = got.filter((m) => idxOf(m) === i).sort((a, b) => atMs(a) - atMs(b));
    const gaps = mine.slice(1).map((m, k) => Math.round((atMs(m) - atMs(mine[k]!)) / 1000));
    return `message ${i}: reconsume times ${mine.map((m) => m.reconsumeTimes).join(',')}; seconds between ${gaps.join(',')}`;
  });
}

/** Delay level 2 (2 s): each message once, and its delay to the second. */
async function delayScenario(side: Side): Promise<string[]> {
  const { namesrv } = side;
  await createTopic(side, 'DiffDelay');
  const c = await consumer(namesrv, { topic: 'DiffDelay', group: 'DiffDelayGroup' });
  try {
    await produce(namesrv, 'DiffDelay', 5, { 'delay-level': 2 });
    await c.waitFor((e) => deliveries(e).length >= 5, 60_000, '5 delayed messages');
    await sleep(2000);
  } finally {
    await c.stop();
  }
  return deliveries(c.events).sort((a, b) => idxOf(a) - idxOf(b)).map((m) => `message ${idxOf(m)} after ${Math.round((atMs(m) - Number(m.bornTimestamp)) / 1000)} s`);
}

/** Always fails with maxReconsumeTimes 1: deliveries, then what a reader of the DLQ gets. */
async function deadLetterScenario(side: Side): Promise<string[]> {
  const { namesrv } = side;
  await createTopic(side, 'DiffDlq');
  const c = await consumer(namesrv, { topic: 'DiffDlq', group: 'DiffDlqGroup', 'fail-times': 1000, 'max-reconsume': 1 });
  let dlq: JavaHarness | undefined;
  try {
    await produce(namesrv, 'DiffDlq', 2);
    await c.waitFor((e) => deliveries(e).length >= 4, 60_000, '4 failing deliveries');
    await sleep(3000);
    dlq = await consumer(namesrv, { topic: '%DLQ%DiffDlqGroup', group: 'DiffDlqReader' });
    await dlq.waitFor((e) => deliveries(e).length >= 2, 60_000, '2 dead letters');
    await sleep(1000);
  } finally {
    await c.stop();
    await dlq?.stop();
  }
  const tried = deliveries(c.events).map((m) => `delivered ${idxOf(m)} (reconsume times ${m.reconsumeTimes})`).sort();
  const dead = deliveries(dlq!.events).map((m) => `dead letter ${idxOf(m)} (reconsume times ${m.reconsumeTimes}, keys ${m.keys})`).sort();
  return [...tried, ...dead];
}

/** Commit, rollback, unknown then commit, unknown then rollback: what becomes visible, and what was checked. */
async function transactionScenario(side: Side): Promise<string[]> {
  const { namesrv } = side;
  await createTopic(side, 'DiffTx');
  const c = await consumer(namesrv, { topic: 'DiffTx', group: 'DiffTxReaders' });
  const p = JavaHarness.start('tx-produce', { namesrv, topic: 'DiffTx', group: 'DiffTxProducers', count: 8, decisions: 'commit,rollback,unknown:commit,unknown:rollback', 'timeout-ms': 140_000 });
  try {
    await p.waitFor((e) => e.some((x) => x.event === 'sent-all'), 60_000, 'transactional sends');
    await c.waitFor((e) => deliveries(e).length >= 4, 60_000, '4 committed');
    await p.waitFor((e) => new Set(e.filter((x) => x.event === 'checked').map((x) => x.idx)).size >= 4, 60_000, '4 checked');
    await sleep(3000);
  } finally {
    await p.stop();
    await c.stop();
  }
  const visible = deliveries(c.events).map(idxOf).sort((a, b) => a - b);
  const checked = [...new Set(p.events.filter((e) => e.event === 'checked').map((e) => Number(e.idx)))].sort((a, b) => a - b);
  return [`visible ${visible.join(',')}`, `checked ${checked.join(',')}`];
}

/**
 * SQL92 push and lite-pull consumers (one of each per expression) over 1,000 messages with mixed properties: what
 * each consumer got, which must also be what the expression selects by hand.
 */
async function sqlScenario(side: Side): Promise<string[]> {
  const { namesrv } = side;
  await createTopic(side, 'DiffSql');
  await produce(namesrv, 'DiffSql', FILTERED_COUNT, { mode: 'async', tags: FILTER_TAGS.join(','), 'filter-props': 'true' });
  const file = join(mkdtempSync(join(tmpdir(), 'rop-diff-sql-')), 'cases.sql');
  writeFileSync(file, SQL_CASES.map(([sql]) => sql).join('\n'));
  const h = JavaHarness.start('sql-consume', { namesrv, topic: 'DiffSql', group: 'DiffSql', 'sql-file': file, 'timeout-ms': 170_000 });
  const got = (label: string): number[] => deliveries(h.events).filter((m) => m.consumer === label).map(idxOf).sort((a, b) => a - b);
  try {
    await h.waitFor((e) => e.some((x) => x.event === 'ready'), 60_000, 'SQL92 consumers started');
    await h.waitFor(() => SQL_CASES.every(([, pick], k) => got(`p${k}`).length >= selected(pick).length && got(`l${k}`).length >= selected(pick).length), 120_000, 'every SQL92 consumer got its messages');
    await sleep(3000);
  } finally {
    await h.stop();
    rmSync(dirname(file), { recursive: true, force: true });
  }
  return SQL_CASES.flatMap(([sql, pick], k) => ['p', 'l'].map((kind) => {
    assert.deepEqual(got(`${kind}${k}`), selected(pick), `${kind === 'p' ? 'push' : 'lite pull'} consumer of ${sql} on ${namesrv}`);
    return `${kind === 'p' ? 'push' : 'lite pull'} ${sql}: ${got(`${kind}${k}`).length} messages`;
  }));
}

const scenarios = { sql: sqlScenario, retry: retryScenario, delay: delayScenario, deadLetter: deadLetterScenario, transactions: transactionScenario };

for (const [name, scenario] of Object.entries(scenarios)) {
  test(`${name}: Apache RocketMQ's broker and the gateway deliver the same`, { timeout: 240_000 }, async (t) => {
    const expected = await scenario(sides.apache);
    const rop = await scenario(sides.rop);
    t.diagnostic(`Apache RocketMQ: ${expected.join(' | ')}`);
    assert.deepEqual(rop, expected);
  });
}
