import { PulsarStore } from '../../src/store/pulsar/pulsar-store.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { createLogger } from '../../src/logger.js';
import { describeMessageStore } from '../support/message-store-contract.js';
import { pulsarAdminUrl, pulsarServiceUrl, uniqueSuffix } from '../support/pulsar.js';

const log = createLogger('silent');

// Where the Pulsar store departs from the contract (issue 16): each still runs, reported as TODO, until fixed.
const known = {
  'an append reports the store time its messages got':
    'append reports the gateway clock once Pulsar acknowledged; the messages carry the broker entry timestamp, a few ms earlier',
};

describeMessageStore('Pulsar store', async () => {
  // Namespaces of this run's own, so reruns and other suites on the same Pulsar never meet its topics and tables.
  const ns = `contract-${uniqueSuffix()}`;
  const admin = new PulsarAdmin(pulsarAdminUrl);
  return {
    open: async () => {
      const store = new PulsarStore({
        serviceUrl: pulsarServiceUrl,
        adminUrl: pulsarAdminUrl,
        tenant: 'rocketmq',
        namespace: ns,
        systemNamespace: `rocketmq/${ns}-sys`,
        retentionHours: 72,
        offsetFlushMs: 200,
        // A tiny window, so most reads go through positioned readers rather than the tail's memory.
        queue: { recentMessages: 8, recentBytes: 1024 * 1024 },
      }, log);
      await store.open();
      return store;
    },
    dispose: async () => {
      await admin.deleteNamespace(`rocketmq/${ns}`, true).catch(() => undefined);
      await admin.deleteNamespace(`rocketmq/${ns}-sys`, true).catch(() => undefined);
    },
  };
}, known);
