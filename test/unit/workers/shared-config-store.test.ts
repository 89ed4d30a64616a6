import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { SharedConfigStore } from '../../../src/workers/shared-config-store.js';
import { WorkerCluster } from '../../../src/workers/worker-cluster.js';
import { wiredWorkers as wired } from '../../support/worker-wiring.js';

const silent = pino({ level: 'silent' });
const topic = (name: string, queues = 4) => ({ name, readQueueNums: queues, writeQueueNums: queues, perm: 6, topicSysFlag: 0, order: false });

async function withStores(count: number, fn: (stores: EmbeddedStore[], dirs: string[]) => Promise<void>): Promise<void> {
  const dirs = Array.from({ length: count }, () => mkdtempSync(join(tmpdir(), 'rop-workers-unit-')));
  const stores = dirs.map((dataDir) => new EmbeddedStore({ dataDir, flush: 'async', flushIntervalMs: 50, segmentBytes: 64 * 1024, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000, maxOpenFiles: 64, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000 }, silent));
  try {
    await fn(stores, dirs);
  } finally {
    await Promise.all(stores.map((s) => s.close().catch(() => undefined)));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

test('a topic or group changed at one worker is applied at every other before the change returns; opening takes in what another worker has', () =>
  withStores(3, async (stores) => {
    await stores[0]!.open();
    await stores[0]!.putTopic(topic('Existing', 8));
    await stores[0]!.close();
    const { links } = wired(3);
    const shared = stores.map((s, i) => new SharedConfigStore(s, links[i]!, silent));
    await Promise.all(shared.map((s) => s.open()));
    for (const s of shared) assert.equal(s.getTopic('Existing')?.writeQueueNums, 8, 'every worker has the topic the first one brought');

    await shared[1]!.putTopic(topic('Made', 2));
    for (const s of shared) assert.equal(s.getTopic('Made')?.readQueueNums, 2);
    await shared[2]!.putSubscriptionGroup({ ...groupConfig('G'), retryMaxTimes: 3 });
    for (const s of shared) assert.equal(s.getSubscriptionGroup('G')?.retryMaxTimes, 3);
    await shared[0]!.deleteTopic('Made');
    await shared[0]!.deleteSubscriptionGroup('G');
    for (const s of shared) {
      assert.equal(s.getTopic('Made'), undefined);
      assert.equal(s.getSubscriptionGroup('G'), undefined);
    }
  }));

test('a change does not wait for a worker that exited; messages stay each worker\'s own', () =>
  withStores(2, async (stores) => {
    const { links, relay } = wired(2);
    const shared = stores.map((s, i) => new SharedConfigStore(s, links[i]!, silent));
    await Promise.all(shared.map((s) => s.open()));
    await shared[0]!.putTopic(topic('T', 1));
    await shared[0]!.append('T', 0, [{ body: Buffer.from('one'), flag: 0, sysFlag: 0, properties: new Map(), bornTimestamp: 1, bornHost: '127.0.0.1:1', reconsumeTimes: 0, preparedTransactionOffset: 0n }]);
    assert.equal(await shared[0]!.maxOffset('T', 0), 1);
    assert.equal(await shared[1]!.maxOffset('T', 0), 0, 'the other worker\'s queue is its own');
    relay.gone(1);
    await shared[0]!.putTopic(topic('AfterExit', 1));
    assert.ok(shared[0]!.getTopic('AfterExit'));
  }));

test('every worker learns every slot\'s owner; join returns once all slots are served', async () => {
  const { links } = wired(2);
  const clusters = links.map((link, i) => new WorkerCluster('C', 'rop-broker', i, 2, link, silent));
  const joined = clusters.map((c, i) => c.join(async (slot, owned) => {
    if (owned) await c.announce(slot, { gateway: `g${i}`, address: `127.0.0.1:${1000 + i}`, since: 0 });
  }));
  await Promise.all(joined);
  for (const c of clusters) {
    assert.deepEqual([c.owner(0)?.address, c.owner(1)?.address], ['127.0.0.1:1000', '127.0.0.1:1001']);
    assert.deepEqual([c.brokerName(0), c.brokerName(1)], ['rop-broker-0', 'rop-broker-1']);
  }
});

function groupConfig(groupName: string) {
  return {
    groupName, consumeEnable: true, consumeFromMinEnable: true, consumeBroadcastEnable: true, consumeMessageOrderly: false, retryQueueNums: 1,
    retryMaxTimes: 16, brokerId: 0, whichBrokerWhenConsumeSlowly: 1, notifyConsumerIdsChangedEnable: true, groupSysFlag: 0, consumeTimeoutMinute: 15, attributes: {},
  };
}
