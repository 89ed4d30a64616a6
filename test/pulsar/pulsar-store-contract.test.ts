import { PulsarStore } from '../../src/store/pulsar/pulsar-store.js';
import { createLogger } from '../../src/logger.js';
import { describeMessageStore } from '../support/message-store-contract.js';
import { ownNamespaces, PULSAR_STORE_DEPARTURES } from '../support/pulsar.js';

const log = createLogger('silent');

describeMessageStore('Pulsar store', async () => {
  // A tiny window, so most reads go through positioned readers rather than the tail's memory.
  const { options, remove } = ownNamespaces('contract', { queue: { recentMessages: 8, recentBytes: 1024 * 1024 } });
  return {
    open: async () => {
      const store = new PulsarStore(options, log);
      await store.open();
      return store;
    },
    dispose: remove,
  };
}, PULSAR_STORE_DEPARTURES);
