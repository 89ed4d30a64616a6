import { isIP } from 'node:net';
import type { GatewayConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { RemotingServer, type ListenerOptions, type RequestObserver } from '../remoting/remoting-server.js';
import type { ConnectionGate } from '../net/connection-gate.js';
import { clientOptions } from '../remoting/tls-settings.js';
import { REMOTING_TERMS } from '../errors/boundaries.js';
import { RouteProcessor } from '../namesrv/route-processor.js';
import { SlotBroker } from '../broker/slot-broker.js';
import type { PopConsumers } from '../broker/admin-service.js';
import type { TrafficStats } from '../broker/traffic-stats.js';
import type { FastFailure } from '../broker/fast-failure.js';
import { SlotLayout, SlotStore } from '../store/slot-store.js';
import type { MessageStore } from '../store/message-store.js';
import type { ClusterMembership } from '../cluster/cluster-view.js';
import { RequestForwarder } from '../cluster/request-forwarder.js';
import { openCluster } from './store-and-cluster.js';
import type { AclFile } from '../acl/acl-file.js';
import { lookupMayCreate, remotingGuard } from '../acl/remoting-guard.js';
import { registerAclAdminCodes } from '../acl/acl-admin-processor.js';

/** What the remoting brokers share with the rest of the gateway. */
export interface RemotingDeps {
  traffic: TrafficStats;
  /** answers busy the sends and pulls that would wait past --max-send-wait-ms */
  fastFailure: FastFailure;
  /** RocketMQ 5 consumers popping over gRPC, listed beside the remoting ones */
  popMembers: PopConsumers['members'];
  /** the ACL rules every request is checked against, when ACL is on */
  acl?: AclFile;
  /** the limit on client connections every listener (and the gRPC port) counts against */
  gate: ConnectionGate;
}

/**
 * The RocketMQ remoting side of a gateway: a name server and one broker per cluster slot, each slot on a listener
 * of its own, the first on the configured port.
 */
export interface RemotingEndpoint {
  readonly port: number;
  /** host:port clients are told to reach the first slot at */
  readonly advertisedAddress: string;
  readonly advertisedHost: string;
  readonly cluster: ClusterMembership;
  readonly brokers: SlotBroker[];
  observe(observer: RequestObserver): void;
  /** Takes part in the cluster: serves the slots it is given, announcing `grpcAddress` as where it answers gRPC. */
  join(grpcAddress: string | undefined): Promise<void>;
  /** Hands every slot over, then stops the brokers; the listeners still answer (a moved client is told where to go). */
  leave(): Promise<void>;
  /** Closes the listeners once their requests are answered. */
  close(): Promise<void>;
}

/**
 * One listener per slot: clients tell brokers apart by address alone (a 4.x pull names no broker), so each slot
 * this gateway may serve has a port of its own. They all listen from the start, so a slot's address stays the same
 * for the life of the process.
 */
async function listenPerSlot(main: RemotingServer, slots: number, config: GatewayConfig, log: Logger, options: ListenerOptions): Promise<RemotingServer[]> {
  const listeners = [main];
  try {
    for (let slot = 1; slot < slots; slot++) {
      const listener = new RemotingServer(log, config.maxFrameSize, REMOTING_TERMS, options);
      listeners.push(listener);
      await listener.listen(config.host, 0);
    }
  } catch (err) {
    await Promise.all(listeners.slice(1).map((l) => l.close()));
    throw err;
  }
  return listeners;
}

const brokerSettings = (config: GatewayConfig, advertisedAddress: string, brokerName: string) => ({
  advertisedAddress,
  clusterName: config.clusterName,
  brokerName,
  autoCreateTopics: config.autoCreateTopics,
  enablePropertyFilter: config.enablePropertyFilter,
  defaultQueues: config.defaultQueues,
  maxMessageSize: config.limits.maxMessageSize,
  maxTopics: config.limits.maxTopics,
  maxPullMessages: 32,
  maxPullBytes: 256 * 1024,
  maxPullHoldMs: 30_000,
  delayLevelsMs: config.delayLevelsMs,
});

/** Every listener's options: TLS, the shared connection limit, and the deadlines of --client-idle-timeout and --frame-timeout-ms. */
const listenerOptions = (config: GatewayConfig, gate: ConnectionGate): ListenerOptions => ({
  tls: config.remotingTls,
  gate,
  deadlines: { idleMs: config.limits.clientIdleTimeoutMs, frameMs: config.limits.frameTimeoutMs },
});

export async function startRemotingEndpoint(config: GatewayConfig, log: Logger, store: MessageStore, deps: RemotingDeps): Promise<RemotingEndpoint> {
  const options = listenerOptions(config, deps.gate);
  const main = new RemotingServer(log, config.maxFrameSize, REMOTING_TERMS, options);
  const port = await main.listen(config.host, config.port);
  // Port 0 in an advertised address is the port bound (a worker's, which is not known before it listens).
  const advertisedAddress = config.advertisedAddress?.replace(/:0$/, `:${port}`) ?? `${isIP(config.host) && config.host !== '0.0.0.0' ? config.host : '127.0.0.1'}:${port}`;
  const advertisedHost = advertisedAddress.slice(0, advertisedAddress.lastIndexOf(':'));
  let cluster: ClusterMembership;
  let listeners: RemotingServer[];
  try {
    cluster = await openCluster(config, advertisedAddress, log);
    listeners = await listenPerSlot(main, cluster.slots, config, log, options).catch(async (err: unknown) => {
      await cluster.leave();
      throw err;
    });
  } catch (err) {
    await main.close();
    throw err;
  }
  const addressOf = (slot: number): string => (slot === 0 ? advertisedAddress : `${advertisedHost}:${listeners[slot]!.port}`);
  // In permissive mode every gateway also takes plaintext, so only enforcing needs TLS between gateways.
  const forwarder = new RequestForwarder(advertisedAddress, config.maxFrameSize, config.remotingTls?.mode === 'enforcing' ? clientOptions(config.remotingTls) : undefined);
  const layoutOf = (slot: number): SlotLayout => (cluster.storePerSlot ? new SlotLayout(0, 1) : new SlotLayout(slot, cluster.slots));
  const slotStores = Array.from({ length: cluster.slots }, (_, slot) => new SlotStore(store, layoutOf(slot)));
  const brokers = slotStores.map((slotStore, slot) => new SlotBroker({
    store: slotStore,
    settings: brokerSettings(config, addressOf(slot), cluster.brokerName(slot)),
    config,
    traffic: deps.traffic,
    fastFailure: deps.fastFailure,
    popMembers: deps.popMembers,
    gatewayId: advertisedAddress,
    owner: () => cluster.owner(slot),
    forwarder,
    log,
  }));
  // The name server creates topics as the first slot's broker would.
  const first = brokers[0]!.ctx;
  const routes = new RouteProcessor({
    topicNames: () => first.store.listTopics().map((t) => t.name),
    createOnLookup: (name) => first.topicOrCreate(name),
    mayCreate: deps.acl && lookupMayCreate(deps.acl),
    createdQueues: () => (first.settings.autoCreateTopics ? first.settings.defaultQueues : undefined),
  }, cluster, slotStores, advertisedAddress);
  listeners.forEach((listener, slot) => {
    brokers[slot]!.registerOn(listener, listener.port);
    routes.registerOn(listener);
    if (deps.acl) {
      listener.guardWith(remotingGuard(deps.acl));
      registerAclAdminCodes(listener, deps.acl, { clusterName: config.clusterName, brokerName: cluster.brokerName(slot), brokerAddr: addressOf(slot) });
    }
  });

  return {
    port,
    advertisedAddress,
    advertisedHost,
    cluster,
    brokers,
    observe: (observer) => listeners.forEach((l) => l.observe(observer)),
    join: (grpcAddress) => cluster.join(async (slot, owned) => {
      const broker = brokers[slot]!;
      if (!owned) {
        await broker.release();
        await slotStores[slot]!.release();
        return;
      }
      await slotStores[slot]!.catchUp();
      await broker.acquire();
      await cluster.announce(slot, { gateway: advertisedAddress, address: addressOf(slot), grpcAddress, since: Date.now() });
    }),
    async leave() {
      await cluster.leave();
      await Promise.all(brokers.map((b) => b.close()));
      forwarder.close();
    },
    async close() {
      await Promise.all(listeners.map((l) => l.close()));
    },
  };
}
