import { PulsarStore } from '../../src/store/pulsar/pulsar-store.js';
import { createLogger } from '../../src/logger.js';
import { describeMessageStore } from '../support/message-store-contract.js';
import { ownNamespaces } from '../support/pulsar.js';

const log = createLogger('silent');

// Where the Pulsar store departs from the contract (issue 16): each still runs, reported as TODO, until fixed.
const known = {
  'an append reports the store time its messages got':
    'append reports the gateway clock once Pulsar acknowledged; the messages carry the broker entry timestamp, a few ms earlier',
};

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
}, known);
