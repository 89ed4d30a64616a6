import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { EmbeddedStore } from '../../../src/store/embedded/embedded-store.js';
import { describeMessageStore } from '../../support/message-store-contract.js';

const silent = pino({ level: 'silent' });

describeMessageStore('embedded store', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'rop-contract-'));
  return {
    open: async () => {
      // A short flush interval, so the flush listener test waits little.
      const store = new EmbeddedStore({ dataDir, flush: 'async', flushIntervalMs: 50, segmentBytes: 64 * 1024, retentionMs: 3600_000, retentionCheckIntervalMs: 3600_000, maxOpenFiles: 1024, diskMaxUsedRatio: 100, diskCheckIntervalMs: 1000 }, silent);
      await store.open();
      return store;
    },
    dispose: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
});
