import { PulsarStore } from '../../src/store/pulsar/pulsar-store.js';
import { PulsarAdmin } from '../../src/pulsar/admin.js';
import { tokenAuthentication } from '../../src/pulsar/auth.js';
import { createLogger } from '../../src/logger.js';
import { describeMessageStore } from '../support/message-store-contract.js';
import { PULSAR_STORE_DEPARTURES, uniqueSuffix } from '../support/pulsar.js';
import { adminTokenFile, ca, secureAdminUrl, secureServiceUrl } from '../support/pulsar-secure.js';

const log = createLogger('silent');

// The whole MessageStore contract again, over pulsar+ssl:// and https:// with a token: every store operation the
// gateway makes (topics, appends, reads by offset, time and id, offsets, deletion) works against a secured Pulsar.

describeMessageStore('Pulsar store on a TLS- and token-secured Pulsar', async () => {
  const ns = `secure-contract-${uniqueSuffix()}`;
  const tls = { ca: ca(), verifyHostname: true };
  const auth = tokenAuthentication({ file: adminTokenFile });
  const admin = new PulsarAdmin(secureAdminUrl, { tls, auth });
  return {
    open: async () => {
      const store = new PulsarStore({
        serviceUrl: secureServiceUrl, adminUrl: secureAdminUrl, tls, auth, tenant: 'rocketmq', namespace: ns, systemNamespace: `rocketmq/${ns}-sys`,
        retentionHours: 72, offsetFlushMs: 200, queue: { recentMessages: 8, recentBytes: 1024 * 1024 },
      }, log);
      await store.open();
      return store;
    },
    dispose: async () => {
      await admin.deleteNamespace(`rocketmq/${ns}`, true).catch(() => undefined);
      await admin.deleteNamespace(`rocketmq/${ns}-sys`, true).catch(() => undefined);
      admin.close();
    },
  };
}, PULSAR_STORE_DEPARTURES);
