import type { GatewayConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { EmbeddedStore } from '../store/embedded/embedded-store.js';
import { PulsarStore } from '../store/pulsar/pulsar-store.js';
import type { MessageStore } from '../store/message-store.js';
import { SingleGatewayCluster, type ClusterMembership } from '../cluster/cluster-view.js';
import { PulsarCluster } from '../cluster/pulsar-cluster.js';
import { WorkerCluster } from '../workers/worker-cluster.js';
import { WorkerLink } from '../workers/worker-link.js';
import { SharedConfigStore } from '../workers/shared-config-store.js';
import { tokenAuthentication, type PulsarAuthentication } from '../pulsar/auth.js';
import type { PulsarTlsOptions } from '../pulsar/tls.js';

/** How the store and the cluster reach a secured Pulsar: certificate checks and credentials. */
const pulsarAccess = (config: GatewayConfig): { tls: PulsarTlsOptions; auth?: PulsarAuthentication } => ({
  tls: config.pulsarTls,
  auth: config.pulsarAuthToken && tokenAuthentication(config.pulsarAuthToken),
});

function createStore(config: GatewayConfig, log: Logger): MessageStore {
  if (config.store === 'pulsar') {
    return new PulsarStore(
      {
        serviceUrl: config.pulsarUrl,
        adminUrl: config.pulsarAdminUrl,
        ...pulsarAccess(config),
        tenant: config.pulsarTenant,
        namespace: config.pulsarNamespace,
        systemNamespace: config.pulsarSystemNamespace,
        retentionHours: config.retentionHours,
        offsetFlushMs: 1000,
      },
      log,
    );
  }
  return new EmbeddedStore(
    {
      dataDir: config.dataDir,
      flush: config.flush,
      flushIntervalMs: config.flushIntervalMs,
      segmentBytes: config.segmentBytes,
      retentionMs: config.retentionHours * 3600_000,
      retentionCheckIntervalMs: 600_000,
      maxOpenFiles: config.limits.maxOpenFiles,
      diskMaxUsedRatio: config.limits.diskMaxUsedRatio,
      diskCheckIntervalMs: 1000,
    },
    log,
  );
}

/** `resource` once `open` resolves; one that fails to open is let go (`close`) before the error is passed on. */
async function opened<T>(resource: T, open: () => Promise<void>, close: () => Promise<void>): Promise<T> {
  try {
    await open();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return resource;
}

/** The configured store, open; a worker's store shares its topic and group configs with the other workers. */
export function openStore(config: GatewayConfig, log: Logger): Promise<MessageStore> {
  const own = createStore(config, log);
  const store = config.worker && config.store !== 'pulsar' ? new SharedConfigStore(own, WorkerLink.ofProcess(), log) : own;
  return opened(store, () => store.open(), () => store.close());
}

/**
 * The cluster this gateway joins, open (its slot count known): gateways on one Pulsar share slots; a gateway on
 * its embedded store is a cluster of its own.
 */
export async function openCluster(config: GatewayConfig, gatewayId: string, log: Logger): Promise<ClusterMembership> {
  if (config.store !== 'pulsar' && config.worker) {
    const { index, count } = config.worker;
    return new WorkerCluster(config.clusterName, config.brokerName, index, count, WorkerLink.ofProcess(), log);
  }
  if (config.store !== 'pulsar') {
    if (config.clusterSlots > 1) log.warn({ clusterSlots: config.clusterSlots }, 'the embedded store is a cluster of one gateway; --cluster-slots applies to the Pulsar store only');
    return new SingleGatewayCluster(config.clusterName, config.brokerName);
  }
  const cluster = new PulsarCluster({
    serviceUrl: config.pulsarUrl,
    adminUrl: config.pulsarAdminUrl,
    ...pulsarAccess(config),
    systemNamespace: config.pulsarSystemNamespace,
    clusterName: config.clusterName,
    brokerName: config.brokerName,
    // Workers of one process are gateways of the cluster: each needs a slot to serve.
    slotsIfNew: Math.max(config.clusterSlots, config.worker?.count ?? 1),
    gatewayId,
  }, log);
  return opened(cluster, () => cluster.open(), () => cluster.leave());
}
