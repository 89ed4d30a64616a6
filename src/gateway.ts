import { isIP } from 'node:net';
import { readFileSync } from 'node:fs';
import type { GatewayConfig } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { RemotingServer } from './remoting/remoting-server.js';
import { RequestCode, requestCodeName } from './protocol/request-code.js';
import { BrokerContext } from './broker/broker-context.js';
import { ConsumerRegistry } from './broker/consumer-registry.js';
import { PullHoldService } from './broker/pull-hold-service.js';
import { SendMessageProcessor } from './broker/send-message-processor.js';
import { PullMessageProcessor } from './broker/pull-message-processor.js';
import { ConsumerOffsetProcessor } from './broker/consumer-offset-processor.js';
import { ClientManageProcessor } from './broker/client-manage-processor.js';
import { QueueLockManager } from './broker/queue-lock-manager.js';
import { SendBackProcessor } from './broker/send-back-processor.js';
import { ReplyMessageProcessor } from './broker/reply-message-processor.js';
import { TransactionService } from './broker/transaction-service.js';
import { remotingTransactionChecker } from './broker/remoting-transaction-checker.js';
import { EndTransactionProcessor } from './broker/end-transaction-processor.js';
import { MessageKeyIndex } from './broker/message-key-index.js';
import { ScheduledDeliveryService } from './broker/scheduled-delivery-service.js';
import { QueueLockProcessor } from './broker/queue-lock-processor.js';
import { RouteProcessor } from './namesrv/route-processor.js';
import { EmbeddedStore } from './store/embedded/embedded-store.js';
import { PulsarStore } from './store/pulsar/pulsar-store.js';
import type { MessageStore } from './store/message-store.js';
import { AdminService } from './broker/admin-service.js';
import { TrafficStats } from './broker/traffic-stats.js';
import { GatewayMetrics } from './admin/gateway-metrics.js';
import { AdminHttpServer } from './admin/admin-http-server.js';
import { GrpcServer } from './grpc/grpc-server.js';
import { GRPC_CLIENT_VERSION, TelemetrySessions } from './grpc/telemetry-sessions.js';
import { peerAddress } from './grpc/message-conversion.js';
import { MessagingService } from './grpc/messaging-service.js';
import { PopConsumptionService } from './broker/pop-consumption-service.js';
import { registerAdminCodes } from './admin-codes.js';

/** Consumers silent for this long are dropped from their group (Apache RocketMQ uses 120 s). */
const CLIENT_EXPIRY_MS = 120_000;
/** Keys of stored messages are written to the key index this often (a query flushes first). */
const KEY_INDEX_FLUSH_MS = 200;
/** An orderly consumer's queue lock lapses unless renewed within this (Apache RocketMQ's lockMaxLiveTime). */
const QUEUE_LOCK_LIFETIME_MS = 60_000;

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
  const server = new RemotingServer(log, config.maxFrameSize, requestCodeName);
  let port: number;
  try {
    port = await server.listen(config.host, config.port);
  } catch (err) {
    await store.close();
    await http?.close();
    throw err;
  }
  const advertisedAddress = config.advertisedAddress ?? `${isIP(config.host) && config.host !== '0.0.0.0' ? config.host : '127.0.0.1'}:${port}`;
  const keyIndex = new MessageKeyIndex(store, KEY_INDEX_FLUSH_MS, log);
  const traffic = new TrafficStats();
  await keyIndex.start();
  const ctx = new BrokerContext(
    store,
    {
      advertisedAddress,
      clusterName: config.clusterName,
      brokerName: config.brokerName,
      autoCreateTopics: config.autoCreateTopics,
      enablePropertyFilter: config.enablePropertyFilter,
      defaultQueues: config.defaultQueues,
      maxMessageSize: 4 * 1024 * 1024,
      maxPullMessages: 32,
      maxPullBytes: 256 * 1024,
      maxPullHoldMs: 30_000,
      delayLevelsMs: config.delayLevelsMs,
    },
    log,
    keyIndex,
    traffic,
  );
  const registry = new ConsumerRegistry(log, CLIENT_EXPIRY_MS);
  const holds = new PullHoldService(store);
  const grpcClients = new TelemetrySessions();
  const pops = new PopConsumptionService(ctx);
  const adminService = new AdminService(ctx, registry, {
    members: () => grpcClients.clients().filter((c) => c.group !== undefined).map((c) => ({
      group: c.group!,
      client: { clientId: c.clientId, clientAddr: peerAddress(c.peer), language: c.language, version: GRPC_CLIENT_VERSION, lastHeartbeat: c.lastSeen },
      subscriptions: c.subscriptions,
    })),
    offsetsReset: (group, topic) => pops.forget(group, topic),
  });
  const metrics = new GatewayMetrics({
    traffic,
    clusterName: config.clusterName,
    brokerName: config.brokerName,
    store,
    admin: adminService,
    registry,
    heldPulls: () => holds.heldCount,
    grpcClients: () => grpcClients.clients(),
  });
  server.observe((code, responseCode, ms) => metrics.requestAnswered(code, responseCode, ms));
  server.on('disconnect', (conn) => registry.connectionClosed(conn));

  const scheduled = new ScheduledDeliveryService(store, config.delayLevelsMs, async (topic, queueId, message) => {
    const t = await ctx.topicOrCreate(topic);
    await ctx.storeMessages(topic, queueId % t.writeQueueNums, [message]);
  }, log);
  await scheduled.start();
  // One object, read by the service at each check round and changed by UPDATE_BROKER_CONFIG.
  const transactionSettings = {
    checkIntervalMs: config.transactionCheckIntervalMs,
    timeoutMs: config.transactionTimeoutMs,
    maxChecks: config.transactionCheckMax,
  };
  const transactions = new TransactionService(store, transactionSettings, advertisedAddress, (topic, queueId, messages) => ctx.putMessages(topic, queueId, messages), log);
  transactions.addChecker(remotingTransactionChecker(registry, advertisedAddress));
  await transactions.start();
  const send = new SendMessageProcessor(ctx, transactions);
  const endTransaction = new EndTransactionProcessor(transactions);
  const sendBack = new SendBackProcessor(ctx);
  const reply = new ReplyMessageProcessor(ctx, registry, send);
  const pull = new PullMessageProcessor(ctx, registry, holds);
  const offsets = new ConsumerOffsetProcessor(ctx);
  const clients = new ClientManageProcessor(ctx, registry);
  const locks = new QueueLockProcessor(new QueueLockManager(QUEUE_LOCK_LIFETIME_MS));
  const routes = new RouteProcessor(ctx);
  const C = RequestCode;
  server.register(C.SEND_MESSAGE, send.process);
  server.register(C.SEND_MESSAGE_V2, send.process);
  server.register(C.SEND_BATCH_MESSAGE, send.process);
  server.register(C.SEND_REPLY_MESSAGE, reply.process);
  server.register(C.SEND_REPLY_MESSAGE_V2, reply.process);
  server.register(C.CONSUMER_SEND_MSG_BACK, sendBack.process);
  server.register(C.END_TRANSACTION, endTransaction.process);
  server.register(C.PULL_MESSAGE, pull.process);
  server.register(C.LITE_PULL_MESSAGE, pull.process);
  server.register(C.QUERY_CONSUMER_OFFSET, offsets.queryConsumerOffset);
  server.register(C.UPDATE_CONSUMER_OFFSET, offsets.updateConsumerOffset);
  server.register(C.GET_MAX_OFFSET, offsets.getMaxOffset);
  server.register(C.GET_MIN_OFFSET, offsets.getMinOffset);
  server.register(C.SEARCH_OFFSET_BY_TIMESTAMP, offsets.searchOffsetByTimestamp);
  server.register(C.GET_EARLIEST_MSG_STORETIME, offsets.getEarliestMsgStoreTime);
  server.register(C.HEART_BEAT, clients.heartbeat);
  server.register(C.UNREGISTER_CLIENT, clients.unregisterClient);
  server.register(C.GET_CONSUMER_LIST_BY_GROUP, clients.getConsumerListByGroup);
  server.register(C.CHECK_CLIENT_CONFIG, clients.checkClientConfig);
  server.register(C.LOCK_BATCH_MQ, locks.lockBatch);
  server.register(C.UNLOCK_BATCH_MQ, locks.unlockBatch);
  server.register(C.GET_ROUTEINFO_BY_TOPIC, routes.getRouteInfoByTopic);
  server.register(C.GET_BROKER_CLUSTER_INFO, routes.getBrokerClusterInfo);
  server.register(C.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, routes.getAllTopicList);
  server.register(C.GET_TOPICS_BY_CLUSTER, routes.getTopicsByCluster);
  server.register(C.GET_SYSTEM_TOPIC_LIST_FROM_NS, routes.getSystemTopicList);
  server.register(C.GET_KV_CONFIG, routes.getKvConfig);
  server.register(C.DELETE_KV_CONFIG, routes.deleteKvConfig);
  server.register(C.DELETE_TOPIC_IN_NAMESRV, routes.deleteTopicInNamesrv);
  registerAdminCodes(server, { ctx, registry, admin: adminService, traffic, config, listenPort: port, transactionSettings });

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
        holds.close();
        registry.close();
        await Promise.all([server.close(), grpc?.close()]);
        // The admin server closes after the remoting server has drained, so /readyz says "stopping" meanwhile.
        await http?.close();
        metrics.close();
        traffic.close();
        await scheduled.stop();
        await transactions.stop();
        await keyIndex.stop();
        await store.close();
        log.info('rop stopped');
      })();
      return stopping;
    },
  };
}
