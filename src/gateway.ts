import { readFileSync } from 'node:fs';
import type { GatewayConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import type { MessageStore } from './store/message-store.js';
import { TrafficStats } from './broker/traffic-stats.js';
import { FastFailure } from './broker/fast-failure.js';
import { GatewayMetrics } from './admin/gateway-metrics.js';
import { MetricsHistory } from './admin/metrics-history.js';
import { groupLags } from './admin/history-api.js';
import type { AdminServices } from './admin/admin-http-server.js';
import { GRPC_CLIENT_VERSION, TelemetrySessions } from './grpc/telemetry-sessions.js';
import { peerAddress } from './grpc/message-conversion.js';
import { openStore } from './startup/store-and-cluster.js';
import { startAdminEndpoint } from './startup/admin-endpoint.js';
import { startRemotingEndpoint, type RemotingEndpoint } from './startup/remoting-endpoint.js';
import { startGrpcEndpoint } from './startup/grpc-endpoint.js';
import { AclFile } from './acl/acl-file.js';
import { ConnectionGate } from './net/connection-gate.js';
import { WorkerLink } from './workers/worker-link.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface Gateway {
  readonly port: number;
  /** port of the admin HTTP server, or undefined when it is off */
  readonly httpPort?: number;
  /** port of the gRPC endpoint, or undefined when it is off */
  readonly grpcPort?: number;
  readonly advertisedAddress: string;
  readonly store: MessageStore;
  stop(): Promise<void>;
}

/** Closes what a failed start had already started, newest first, then passes the error on. */
const undoing = (...started: Array<{ close(): Promise<void> | void } | undefined>) => async (err: unknown): Promise<never> => {
  for (const s of started) await Promise.resolve().then(() => s?.close()).catch(() => undefined);
  throw err;
};

/** RocketMQ 5 consumers that pop over gRPC, as the admin views list group members. */
const popMembersOf = (clients: TelemetrySessions) => () => clients.clients().filter((c) => c.group !== undefined).map((c) => ({
  group: c.group!,
  client: { clientId: c.clientId, clientAddr: peerAddress(c.peer), language: c.language, version: GRPC_CLIENT_VERSION, lastHeartbeat: c.lastSeen },
  subscriptions: c.subscriptions,
}));

/** A scrape waits this long for the other workers' metrics, then serves those that came. */
const WORKER_METRICS_WAIT_MS = 3000;

const workerMetrics = (index: number) => ({ index, others: () => WorkerLink.ofProcess().otherWorkersMetrics(WORKER_METRICS_WAIT_MS) });

function gatewayMetrics(config: GatewayConfig, store: MessageStore, remoting: RemotingEndpoint, traffic: TrafficStats, clients: TelemetrySessions, fastFailure: FastFailure, gate: ConnectionGate): GatewayMetrics {
  const first = remoting.brokers[0]!;
  const metrics = new GatewayMetrics({
    traffic,
    clusterName: config.clusterName,
    brokerName: first.ctx.settings.brokerName,
    store,
    admin: first.admin,
    registry: first.registry,
    heldPulls: () => remoting.brokers.reduce((n, b) => n + b.heldPulls, 0),
    keyIndexLosses: () => remoting.brokers.reduce((sum, b) => {
      const l = b.ctx.keyIndex.losses;
      return { unencodable: sum.unencodable + l.unencodable, overflow: sum.overflow + l.overflow };
    }, { unencodable: 0, overflow: 0 }),
    grpcClients: () => clients.clients(),
    busyRefusals: () => fastFailure.refused,
    connections: () => gate.snapshot(),
    worker: config.worker && workerMetrics(config.worker.index),
  });
  if (config.worker) WorkerLink.ofProcess().onMetrics(() => metrics.registry.getMetricsAsJSON());
  remoting.observe((code, responseCode, ms) => metrics.requestAnswered(code, responseCode, ms));
  return metrics;
}

/** Starts one gateway: the admin HTTP server, the store, the name server and brokers, the gRPC endpoint. */
export async function startGateway(config: GatewayConfig, log: Logger = createLogger(config.logLevel)): Promise<Gateway> {
  const acl = config.aclFile === undefined ? undefined : new AclFile(config.aclFile, log);
  acl?.watch();
  const http = await startAdminEndpoint(config, log).catch(undoing(acl));
  const store = await openStore(config, log).catch(undoing(http?.server, acl));
  const traffic = new TrafficStats();
  const fastFailure = new FastFailure(config.limits.maxSendWaitMs);
  const grpcClients = new TelemetrySessions();
  const gate = ConnectionGate.forProcess(config.limits.maxConnections, log);
  const remoting = await startRemotingEndpoint(config, log, store, { traffic, fastFailure, popMembers: popMembersOf(grpcClients), acl, gate })
    .catch(undoing(fastFailure, traffic, store, http?.server, acl));
  const metrics = gatewayMetrics(config, store, remoting, traffic, grpcClients, fastFailure, gate);
  const grpc = await startGrpcEndpoint(config, log, remoting, grpcClients, metrics, gate, acl)
    .catch(undoing({ close: () => remoting.leave().then(() => remoting.close()) }, metrics, fastFailure, traffic, store, http?.server, acl));
  // Charts need the hour before anyone looks at them: the history records from the start, when the dashboard is served.
  const history = http && new MetricsHistory({ traffic, groupLags: () => groupLags(remoting.brokers[0]!.admin), log });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= (async () => {
    // Slots are handed over first: their clients move to the successors while this gateway still answers.
    await remoting.leave();
    await Promise.all([remoting.close(), grpc?.close()]);
    // The admin server closes after the remoting server has drained, so /readyz says "stopping" meanwhile.
    await http?.server.close();
    history?.close();
    metrics.close();
    fastFailure.close();
    traffic.close();
    await store.close();
    acl?.close();
    log.info('rop stopped');
  })());
  await remoting.join(grpc ? `${remoting.advertisedHost}:${grpc.port}` : undefined).catch(async (err: unknown) => {
    await stop().catch(() => undefined);
    throw err;
  });
  if (http && history) http.server.serve(adminServices(config, store, remoting, metrics, history, grpcClients, () => stopping !== undefined));
  log.info({ host: config.host, port: remoting.port, httpPort: http?.port, grpcPort: grpc?.port, advertised: remoting.advertisedAddress, remotingTls: config.remotingTls?.mode ?? 'disabled', acl: config.aclFile, dataDir: config.dataDir, store: config.store, flush: config.flush }, config.worker ? 'rop worker listening' : 'rop listening');

  return {
    port: remoting.port,
    httpPort: http?.port,
    grpcPort: grpc?.port,
    advertisedAddress: remoting.advertisedAddress,
    store,
    stop,
  };
}

function adminServices(config: GatewayConfig, store: MessageStore, remoting: RemotingEndpoint, metrics: GatewayMetrics, history: MetricsHistory, grpcClients: TelemetrySessions, stopping: () => boolean): AdminServices {
  const first = remoting.brokers[0]!;
  return {
    ctx: first.ctx,
    admin: first.admin,
    registry: first.registry,
    metrics,
    history,
    grpcClients,
    storeKind: config.store,
    startedAt: Date.now(),
    version: VERSION,
    brokers: () => remoting.brokers.map((b, slot) => {
      const owner = remoting.cluster.owner(slot);
      return { brokerName: b.ctx.settings.brokerName, address: owner?.address, gateway: owner?.gateway, servedHere: b.isOwned };
    }),
    notReady: () => {
      if (stopping()) return 'stopping';
      const status = store.status();
      return status.ready ? undefined : `store: ${status.detail}`;
    },
  };
}
