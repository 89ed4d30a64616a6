import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore } from '../../src/store/embedded/embedded-store.js';
import { BrokerContext } from '../../src/broker/broker-context.js';
import { MessageKeyIndex } from '../../src/broker/message-key-index.js';
import { TrafficStats } from '../../src/broker/traffic-stats.js';

export const silent = pino({ level: 'silent' });

/**
 * A BrokerContext over a real embedded store in a temporary directory, for unit tests of broker services that
 * end-to-end tests cannot time; everything is closed and removed after `fn`.
 */
export async function withEmbeddedBroker(prefix: string, delayLevelsMs: number[], fn: (ctx: BrokerContext, store: EmbeddedStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const store = new EmbeddedStore({ dataDir: dir, flush: 'async', flushIntervalMs: 50, segmentBytes: 64 * 1024, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000, maxOpenFiles: 1024, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000 }, silent);
  await store.open();
  const keyIndex = new MessageKeyIndex(store, 200, silent);
  await keyIndex.start();
  const ctx = new BrokerContext(store, {
    advertisedAddress: '127.0.0.1:9876', clusterName: 'c', brokerName: 'b', autoCreateTopics: true, enablePropertyFilter: true, defaultQueues: 1,
    maxMessageSize: 1 << 20, maxTopics: 1000, maxPullMessages: 32, maxPullBytes: 1 << 20, maxPullHoldMs: 1000, delayLevelsMs,
  }, silent, keyIndex, new TrafficStats());
  try {
    await fn(ctx, store);
  } finally {
    await keyIndex.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
