import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import type { GatewayConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { RemotingServer } from './remoting/remoting-server.js';
import { REMOTING_TERMS } from './errors/boundaries.js';
import { RouteProcessor } from './namesrv/route-processor.js';
import { SlotBroker } from './broker/slot-broker.js';
import { SlotLayout, SlotStore } from './store/slot-store.js';
import { SingleGatewayCluster, type ClusterMembership } from './cluster/cluster-view.js';
import { PulsarCluster } from './cluster/pulsar-cluster.js';
import { RequestForwarder } from './cluster/request-forwarder.js';
import { EmbeddedStore } from './store/embedded/embedded-store.js';
import { PulsarStore } from './store/pulsar/pulsar-store.js';
import type { MessageStore } from './store/message-store.js';
import { TrafficStats } from './broker/traffic-stats.js';
import { GatewayMetrics } from './admin/gateway-metrics.js';
import { AdminHttpServer } from './admin/admin-http-server.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { GRPC_CLIENT_VERSION, TelemetrySessions } from './grpc/telemetry-sessions.js';
import { peerAddress } from './grpc/message-conversion.js';
import { MessagingService } from './grpc/messaging-service.js';

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

function createStore(config: GatewayConfig, log: Logger): MessageStore {
  if (config.store === 'pulsar') {
    return new PulsarStore(
      {
        serviceUrl: config.pulsarUrl,
        adminUrl: config.pulsarAdminUrl,
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
    },
    log,
  );
}

type OpenableCluster = ClusterMembership & { open(): Promise<void> };

/** Gateways on one Pulsar share slots; a gateway on its embedded store is a cluster of its own. */
function createCluster(config: GatewayConfig, gatewayId: string, log: Logger): OpenableCluster {
  if (config.store !== 'pulsar') {
    if (config.clusterSlots > 1) log.warn({ clusterSlots: config.clusterSlots }, 'the embedded store is a cluster of one gateway; --cluster-slots applies to the Pulsar store only');
    return Object.assign(new SingleGatewayCluster(config.clusterName, config.brokerName), { open: () => Promise.resolve() });
  }
  return new PulsarCluster({
    serviceUrl: config.pulsarUrl,
    adminUrl: config.pulsarAdminUrl,
    systemNamespace: config.pulsarSystemNamespace,
    clusterName: config.clusterName,
    brokerName: config.brokerName,
    slotsIfNew: config.clusterSlots,
    gatewayId,
  }, log);
}

/**
 * One listener per slot: clients tell brokers apart by address alone (a 4.x pull names no broker), so each slot
 * this gateway may serve has a port of its own, the first slot the main one. They all listen from the start, so a
 * slot's address stays the same for the life of the process.
 */
async function slotListeners(main: RemotingServer, slots: number, config: GatewayConfig, log: Logger): Promise<RemotingServer[]> {
  const listeners = [main];
  for (let slot = 1; slot < slots; slot++) {
    const listener = new RemotingServer(log, config.maxFrameSize, REMOTING_TERMS);
    listeners.push(listener);
    await listener.listen(config.host, 0);
  }
  return listeners;
}

/** Starts one gateway: name server and broker on one port, over the configured store. */
export async function startGateway(config: GatewayConfig, log: Logger = createLogger(config.logLevel)): Promise<Gateway> {
  const http = config.httpPort !== 0 ? new AdminHttpServer({ host: config.host, port: config.httpPort, log }) : undefined;
  let httpPort: number | undefined;
  if (http) {
    try {
      httpPort = await http.listen();
    } catch (err) {
      throw new Error(`admin HTTP server cannot listen on ${config.host}:${config.httpPort} (${(err as Error).message}); choose another --http-port, or 0 to turn it off`);
    }
    log.info({ host: config.host, port: httpPort }, 'admin http listening');
  }
  const store = createStore(config, log);
  try {
    await store.open();
  } catch (err) {
    await store.close().catch(() => undefined);
    await http?.close();
    throw err;
  }
  const server = new RemotingServer(log, config.maxFrameSize, REMOTING_TERMS);
  let port: number;
  try {
    port = await server.listen(config.host, config.port);
  } catch (err) {
    await store.close();
    await http?.close();
    throw err;
  }
  const advertisedAddress = config.advertisedAddress ?? `${isIP(config.host) && config.host !== '0.0.0.0' ? config.host : '127.0.0.1'}:${port}`;
  const advertisedHost = advertisedAddress.slice(0, advertisedAddress.lastIndexOf(':'));
  const cluster = createCluster(config, advertisedAddress, log);
  let listeners: RemotingServer[] = [server];
  try {
    await cluster.open();
    listeners = await slotListeners(server, cluster.slots, config, log);
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    await store.close();
    await http?.close();
    throw err;
  }
  const addressOf = (slot: number): string => (slot === 0 ? advertisedAddress : `${advertisedHost}:${listeners[slot]!.port}`);
  const traffic = new TrafficStats();
  const grpcClients = new TelemetrySessions();
  const popMembers = () => grpcClients.clients().filter((c) => c.group !== undefined).map((c) => ({
    group: c.group!,
    client: { clientId: c.clientId, clientAddr: peerAddress(c.peer), language: c.language, version: GRPC_CLIENT_VERSION, lastHeartbeat: c.lastSeen },
    subscriptions: c.subscriptions,
  }));
  const forwarder = new RequestForwarder(advertisedAddress, config.maxFrameSize);
  const slotStores = Array.from({ length: cluster.slots }, (_, slot) => new SlotStore(store, new SlotLayout(slot, cluster.slots)));
  const brokers = slotStores.map((slotStore, slot) => new SlotBroker({
    store: slotStore,
    settings: {
      advertisedAddress: addressOf(slot),
      clusterName: config.clusterName,
      brokerName: cluster.brokerName(slot),
      autoCreateTopics: config.autoCreateTopics,
      enablePropertyFilter: config.enablePropertyFilter,
      defaultQueues: config.defaultQueues,
      maxMessageSize: 4 * 1024 * 1024,
      maxPullMessages: 32,
      maxPullBytes: 256 * 1024,
      maxPullHoldMs: 30_000,
      delayLevelsMs: config.delayLevelsMs,
    },
    config,
    traffic,
    popMembers,
    gatewayId: advertisedAddress,
    owner: () => cluster.owner(slot),
    forwarder,
    log,
  }));
  // The gateway-wide surfaces (admin HTTP, metrics, gRPC) speak for the first slot's broker.
  const first = brokers[0]!;
  const { ctx, registry, pops, transactions } = first;
  const metrics = new GatewayMetrics({
    traffic,
    clusterName: config.clusterName,
    brokerName: first.ctx.settings.brokerName,
    store,
    admin: first.admin,
    registry,
    heldPulls: () => brokers.reduce((n, b) => n + b.heldPulls, 0),
    grpcClients: () => grpcClients.clients(),
  });
  const routes = new RouteProcessor(ctx, cluster, slotStores);
  listeners.forEach((listener, slot) => {
    listener.observe((code, responseCode, ms) => metrics.requestAnswered(code, responseCode, ms));
    brokers[slot]!.registerOn(listener, listener.port);
    routes.registerOn(listener);
  });
  const adminService = first.admin;

  let grpc: GrpcServer | undefined;
  let grpcPort: number | undefined;
  if (config.grpcPort !== 0) {
    const host = advertisedAddress.slice(0, advertisedAddress.lastIndexOf(':'));
    grpc = new GrpcServer(new MessagingService(ctx, pops, transactions, grpcClients, {
      advertisedHost: host,
      grpcPort: () => grpcPort ?? config.grpcPort,
      // A retry waits as a 4.x retry does: the first one at delay level 3 (10 s), then one level further each time.
      retryDelaysMs: config.delayLevelsMs.slice(2),
      observe: (method, statusCode, ms) => metrics.grpcAnswered(method, statusCode, ms),
      // gRPC clients are served by the first slot's owner; the other gateways send them there.
      servedElsewhere: () => !first.isOwned && (cluster.owner(0)?.grpcAddress ?? ''),
    }), log, config.grpcTls);
    try {
      grpcPort = await grpc.listen(config.host, config.grpcPort);
    } catch (err) {
      await server.close();
      await http?.close();
      await store.close();
      throw new Error(`gRPC endpoint cannot listen on ${config.host}:${config.grpcPort} (${(err as Error).message}); choose another --grpc-port, or 0 to turn it off`);
    }
    log.info({ host: config.host, port: grpcPort, tls: config.grpcTls !== undefined }, 'grpc listening');
  }

  await cluster.join(async (slot, owned) => {
    const broker = brokers[slot]!;
    if (!owned) {
      await broker.release();
      await slotStores[slot]!.release();
      return;
    }
    await slotStores[slot]!.catchUp();
    await broker.acquire();
    await cluster.announce(slot, { gateway: advertisedAddress, address: addressOf(slot), grpcAddress: grpcPort ? `${advertisedHost}:${grpcPort}` : undefined, since: Date.now() });
  });

  let stopping: Promise<void> | undefined;
  http?.serve({
    ctx,
    admin: adminService,
    registry,
    metrics,
    grpcClients,
    storeKind: config.store,
    startedAt: Date.now(),
    version: VERSION,
    brokers: () => brokers.map((b, slot) => {
      const owner = cluster.owner(slot);
      return { brokerName: b.ctx.settings.brokerName, address: owner?.address, gateway: owner?.gateway, servedHere: b.isOwned };
    }),
    notReady: () => {
      if (stopping) return 'stopping';
      const status = store.status();
      return status.ready ? undefined : `store: ${status.detail}`;
    },
  });

  log.info({ host: config.host, port, httpPort, grpcPort, advertised: advertisedAddress, dataDir: config.dataDir, store: config.store, flush: config.flush }, 'rop listening');

  return {
    port,
    httpPort,
    grpcPort,
    advertisedAddress,
    store,
    stop() {
      stopping ??= (async () => {
        // Slots are handed over first: their clients move to the successors while this gateway still answers.
        await cluster.leave();
        await Promise.all(brokers.map((b) => b.close()));
        forwarder.close();
        await Promise.all([...listeners.map((l) => l.close()), grpc?.close()]);
        // The admin server closes after the remoting server has drained, so /readyz says "stopping" meanwhile.
        await http?.close();
        metrics.close();
        traffic.close();
        await store.close();
        log.info('rop stopped');
      })();
      return stopping;
    },
  };
}
