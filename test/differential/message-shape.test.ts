import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JavaHarness, deliveries, type HarnessEvent } from '../support/java-harness.js';
import { consumer, createTopic, differentialPerFile, produce, sleep, type Side } from '../support/differential.js';

// What a delivered message carries, property by property, on Apache RocketMQ's own 4.9 broker and on the gateway:
// normal, delayed, batch, ordered and transactional sends (committed at once, and committed when checked back),
// each delivered to a push consumer of Apache's Java client that fails it twice with maxReconsumeTimes 1, so every
// kind is seen three times: as first delivered, as retried (sent back once), and as a dead letter. The property
// name sets must be equal, and so must the values that do not vary from run to run, with what the Java client
// reports besides (delay level, reconsume times, flags, topic, hosts and ids as they relate to each other).
const TABLE = '1s 2s 1s 5s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s 1s';
const sides = differentialPerFile({
  brokerConf: { messageDelayLevel: TABLE, transactionCheckInterval: 1000, transactionTimeOut: 2000 },
  gatewayArgs: ['--message-delay-level', TABLE, '--transaction-check-interval-ms', '1000', '--transaction-timeout-ms', '2000'],
});

const TOPIC = 'ShapeTopic';
const GROUP = 'ShapeGroup';
const DLQ_READER = 'ShapeDlqReader';

/** Property values that differ from run to run (ids, offsets, times, the queue picked); only their presence is compared. */
const PER_RUN = new Set(['UNIQ_KEY', 'MIN_OFFSET', 'MAX_OFFSET', 'CONSUME_START_TIME', 'ORIGIN_MESSAGE_ID', 'REAL_QID']);

type Stage = 'first delivery' | 'retry' | 'dead letter';
type Props = Record<string, string>;
const propsOf = (m: HarnessEvent): Props => m.allProps as Props;
const extOf = (m: HarnessEvent): Record<string, unknown> => m.ext as Record<string, unknown>;

/** Which send a delivery comes from: its tag, or for transactional ones (no tag) how the producer decided. */
function kindOf(m: HarnessEvent): string {
  const p = propsOf(m);
  if (p.decision) return p.decision === 'commit' ? 'transactional' : 'transactional, checked';
  return ({ Normal: 'normal', Delayed: 'delayed', Batch: 'batch', ordered: 'ordered' } as Record<string, string>)[p.TAGS ?? ''] ?? `unknown (${p.TAGS})`;
}

const KINDS = ['normal', 'delayed', 'batch', 'ordered', 'transactional', 'transactional, checked'];
/** Messages of each kind sent. */
const COUNTS: Record<string, number> = { normal: 2, delayed: 2, batch: 3, ordered: 2, transactional: 1, 'transactional, checked': 1 };
const TOTAL = Object.values(COUNTS).reduce((a, b) => a + b, 0);

/** Every delivery on one side, by "kind | idx | stage". */
type Deliveries = Map<string, HarnessEvent>;

async function scenario(side: Side): Promise<Deliveries> {
  const { namesrv } = side;
  await createTopic(side, TOPIC);
  // Apache RocketMQ creates a group's retry and dead-letter topics when first used, and a consumer subscribed
  // before that learns of them only at its next route refresh, up to 30 s later.
  await createTopic(side, `%RETRY%${GROUP}`, 1);
  await createTopic(side, `%DLQ%${GROUP}`, 1);
  const c = await consumer(namesrv, { topic: TOPIC, group: GROUP, 'fail-times': 2, 'max-reconsume': 1 });
  const dlq = await consumer(namesrv, { topic: `%DLQ%${GROUP}`, group: DLQ_READER });
  let tx: JavaHarness | undefined;
  try {
    await produce(namesrv, TOPIC, COUNTS.normal!, { tags: 'Normal' });
    await produce(namesrv, TOPIC, COUNTS.delayed!, { tags: 'Delayed', 'delay-level': 2 });
    await produce(namesrv, TOPIC, COUNTS.batch!, { tags: 'Batch', mode: 'batch' });
    await produce(namesrv, TOPIC, 1, { mode: 'ordered', orders: COUNTS.ordered! });
    // Transactional sends last: a half message first in Apache's commit log would be committed with a
    // preparedTransactionOffset of 0, as if it had none.
    tx = JavaHarness.start('tx-produce', { namesrv, topic: TOPIC, group: 'ShapeTxProducers', count: 2, decisions: 'commit,unknown:commit', 'timeout-ms': 140_000 });
    await tx.waitFor((e) => e.some((x) => x.event === 'sent-all'), 60_000, 'transactional sends');
    await c.waitFor((e) => deliveries(e).length >= 2 * TOTAL, 90_000, `${2 * TOTAL} deliveries`);
    await dlq.waitFor((e) => deliveries(e).length >= TOTAL, 60_000, `${TOTAL} dead letters`);
    await sleep(2000);
  } finally {
    await tx?.stop();
    await c.stop();
    await dlq.stop();
  }
  const out: Deliveries = new Map();
  const add = (m: HarnessEvent, stage: Stage): void => {
    const key = `${kindOf(m)} | ${propsOf(m).idx} | ${stage}`;
    assert.ok(!out.has(key), `${key} delivered twice`);
    out.set(key, m);
  };
  for (const m of deliveries(c.events)) add(m, Number(m.reconsumeTimes) === 0 ? 'first delivery' : 'retry');
  for (const m of deliveries(dlq.events)) add(m, 'dead letter');
  assert.equal(out.size, 3 * TOTAL, `every message seen three times: ${[...out.keys()].join(', ')}`);
  return out;
}

/** What is compared of one delivery: property names, the stable values, and what the client reports besides. */
function shape(side: Side, all: Deliveries, key: string): Record<string, unknown> {
  const m = all.get(key)!;
  const p = propsOf(m);
  const ext = extOf(m);
  const first = all.get(key.replace(/\| [^|]*$/, '| first delivery'))!;
  return {
    names: Object.keys(p).sort(),
    values: Object.fromEntries(Object.entries(p).filter(([k]) => !PER_RUN.has(k)).sort()),
    delayLevel: m.delayLevel,
    reconsumeTimes: m.reconsumeTimes,
    topic: m.topic,
    tags: m.tags,
    keys: m.keys,
    sysFlag: ext.sysFlag,
    flag: ext.flag,
    'msgId is UNIQ_KEY': m.msgId === p.UNIQ_KEY,
    'transactionId is msgId': ext.transactionId === m.msgId,
    'preparedTransactionOffset set': Number(ext.preparedTransactionOffset) !== 0,
    'store host is the broker': ext.storeHost === `/${side.broker}`,
    'born host ip': String(ext.bornHost).replace(/:\d+$/, ''),
    'born host and time of the first delivery': ext.bornHost === extOf(first).bornHost && m.bornTimestamp === first.bornTimestamp,
    'ORIGIN_MESSAGE_ID': p.ORIGIN_MESSAGE_ID === undefined ? 'absent' : p.ORIGIN_MESSAGE_ID === first.offsetMsgId ? 'the offsetMsgId of the first delivery' : p.ORIGIN_MESSAGE_ID === first.msgId ? 'the msgId' : 'other',
    'seconds from born to stored': kindOf(m) === 'delayed' && m === first ? Math.round((Number(m.storeTimestamp) - Number(m.bornTimestamp)) / 1000) : '-',
  };
}

/** The differences between two shapes, one line each. */
function differences(apache: Record<string, unknown>, rop: Record<string, unknown>): string[] {
  const out: string[] = [];
  const an = apache.names as string[];
  const rn = rop.names as string[];
  const onlyApache = an.filter((n) => !rn.includes(n));
  const onlyRop = rn.filter((n) => !an.includes(n));
  if (onlyApache.length) out.push(`only Apache has ${onlyApache.join(', ')}`);
  if (onlyRop.length) out.push(`only the gateway has ${onlyRop.join(', ')}`);
  const av = apache.values as Props;
  const rv = rop.values as Props;
  for (const n of new Set([...Object.keys(av), ...Object.keys(rv)])) {
    if (n in av && n in rv && av[n] !== rv[n]) out.push(`${n}: Apache ${JSON.stringify(av[n])}, gateway ${JSON.stringify(rv[n])}`);
  }
  for (const k of Object.keys(apache)) {
    if (k === 'names' || k === 'values') continue;
    if (JSON.stringify(apache[k]) !== JSON.stringify(rop[k])) out.push(`${k}: Apache ${JSON.stringify(apache[k])}, gateway ${JSON.stringify(rop[k])}`);
  }
  return out;
}

let results: Promise<{ apache: Deliveries; rop: Deliveries }> | undefined;
/** Both sides' deliveries, gathered once (Apache first, then the gateway: one JVM-heavy run at a time). */
const both = (): Promise<{ apache: Deliveries; rop: Deliveries }> =>
  (results ??= (async () => ({ apache: await scenario(sides.apache), rop: await scenario(sides.rop) }))());

for (const kind of KINDS) {
  test(`${kind}: the first delivery, the retry and the dead letter carry what Apache RocketMQ's broker delivers`, { timeout: 400_000 }, async (t) => {
    const { apache, rop } = await both();
    const problems: string[] = [];
    const shown = new Set<string>();
    const keysOf = (all: Deliveries): string[] => [...all.keys()].filter((k) => kindOf(all.get(k)!) === kind).sort();
    assert.deepEqual(keysOf(rop), keysOf(apache), 'the same deliveries');
    assert.equal(keysOf(apache).length, 3 * COUNTS[kind]!);
    for (const key of keysOf(apache)) {
      const a = shape(sides.apache, apache, key);
      const r = shape(sides.rop, rop, key);
      const stage = key.split(' | ')[2]!;
      if (!shown.has(stage)) t.diagnostic(`${key}, Apache RocketMQ: ${JSON.stringify(a)}`);
      shown.add(stage);
      for (const d of differences(a, r)) problems.push(`${key}: ${d}`);
    }
    assert.deepEqual(problems, []);
  });
}
