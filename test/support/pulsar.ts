import { PulsarAdmin } from '../../src/pulsar/admin.js';
import type { PulsarStoreOptions } from '../../src/store/pulsar/pulsar-store.js';

/** Where the Pulsar standalone of `npm run pulsar:start` listens (same env vars as scripts/pulsar.mjs). */
export const pulsarServiceUrl = `pulsar://127.0.0.1:${process.env.PULSAR_BROKER_PORT ?? 6650}`;
export const pulsarAdminUrl = `http://127.0.0.1:${process.env.PULSAR_WEB_PORT ?? 8090}`;

/** A namespace name unique to this test run, so reruns never see an earlier run's topics. */
export const uniqueSuffix = (): string => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

/**
 * Pulsar store options over namespaces of this run's own (`rocketmq/<prefix>-…` and its `-sys`), so reruns and other
 * suites on the same Pulsar never meet its topics and tables; `remove` deletes both namespaces.
 */
/** Where the Pulsar store departs from the MessageStore contract (issue 16): each still runs, reported as TODO, until fixed. */
export const PULSAR_STORE_DEPARTURES = {
  'an append reports the store time its messages got':
    'append reports the gateway clock once Pulsar acknowledged; the messages carry the broker entry timestamp, a few ms earlier',
};

export function ownNamespaces(prefix: string, extra: Partial<PulsarStoreOptions> = {}): { ns: string; options: PulsarStoreOptions; remove(): Promise<void> } {
  const ns = `${prefix}-${uniqueSuffix()}`;
  const options: PulsarStoreOptions = {
    serviceUrl: pulsarServiceUrl, adminUrl: pulsarAdminUrl, tenant: 'rocketmq', namespace: ns, systemNamespace: `rocketmq/${ns}-sys`,
    retentionHours: 72, offsetFlushMs: 200, ...extra,
  };
  const admin = new PulsarAdmin(pulsarAdminUrl);
  return {
    ns,
    options,
    remove: async () => {
      await admin.deleteNamespace(`rocketmq/${ns}`, true).catch(() => undefined);
      await admin.deleteNamespace(`rocketmq/${ns}-sys`, true).catch(() => undefined);
    },
  };
}
