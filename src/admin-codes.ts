import type { GatewayConfig } from './config.js';
import type { RemotingServer } from './remoting/remoting-server.js';
import { RequestCode as C } from './protocol/request-code.js';
import type { BrokerContext } from './broker/broker-context.js';
import type { ConsumerRegistry } from './broker/consumer-registry.js';
import type { AdminService } from './broker/admin-service.js';
import type { TrafficStats } from './broker/traffic-stats.js';
import type { TransactionSettings } from './broker/transaction-service.js';
import { AdminProcessor } from './broker/admin-processor.js';
import { GroupAdminProcessor } from './broker/group-admin-processor.js';
import { GroupOffsetsProcessor } from './broker/group-offsets-processor.js';
import { SubscriptionGroupProcessor } from './broker/subscription-group-processor.js';
import { BrokerRuntimeProcessor } from './broker/broker-runtime-processor.js';
import { BrokerConfigProcessor } from './broker/broker-config-processor.js';
import { ClientCallProcessor } from './broker/client-call-processor.js';
import { refusedRequestCodes } from './broker/refused-request-codes.js';

export interface AdminCodeSources {
  ctx: BrokerContext;
  registry: ConsumerRegistry;
  admin: AdminService;
  traffic: TrafficStats;
  config: GatewayConfig;
  /** the remoting port actually bound */
  listenPort: number;
  /** the settings object TransactionService reads, which UPDATE_BROKER_CONFIG may change */
  transactionSettings: TransactionSettings;
}

/**
 * The request codes of admin tools (mqadmin, DefaultMQAdminExt, client admin APIs): topics, messages, groups,
 * offsets, statistics, the broker's settings and calls through the broker to consumers; and the codes those tools
 * send that the gateway refuses on purpose, each with its reason.
 */
export function registerAdminCodes(server: RemotingServer, s: AdminCodeSources): void {
  const admin = new AdminProcessor(s.ctx, s.admin);
  const groupAdmin = new GroupAdminProcessor(s.ctx, s.admin);
  const groupOffsets = new GroupOffsetsProcessor(s.ctx, s.admin);
  const subscriptionGroups = new SubscriptionGroupProcessor(s.ctx, s.admin);
  const brokerRuntime = new BrokerRuntimeProcessor(s.traffic, s.config.clusterName);
  const brokerConfig = new BrokerConfigProcessor(s.ctx, { config: s.config, listenPort: s.listenPort, transactions: s.transactionSettings });
  const clientCalls = new ClientCallProcessor(s.ctx, s.registry);
  server.register(C.UPDATE_AND_CREATE_TOPIC, admin.updateAndCreateTopic);
  server.register(C.UPDATE_AND_CREATE_TOPIC_LIST, admin.updateAndCreateTopicList);
  server.register(C.GET_ALL_TOPIC_CONFIG, admin.getAllTopicConfig);
  server.register(C.GET_SYSTEM_TOPIC_LIST_FROM_BROKER, admin.getSystemTopicList);
  server.register(C.QUERY_CONSUME_QUEUE, admin.queryConsumeQueue);
  server.register(C.VIEW_MESSAGE_BY_ID, admin.viewMessageById);
  server.register(C.QUERY_MESSAGE, admin.queryMessage);
  server.register(C.GET_TOPIC_CONFIG, admin.getTopicConfig);
  server.register(C.GET_TOPIC_STATS_INFO, admin.getTopicStatsInfo);
  server.register(C.DELETE_TOPIC_IN_BROKER, admin.deleteTopicInBroker);
  server.register(C.GET_CONSUME_STATS, groupAdmin.getConsumeStats);
  server.register(C.GET_CONSUMER_CONNECTION_LIST, groupAdmin.getConsumerConnectionList);
  server.register(C.GET_PRODUCER_CONNECTION_LIST, groupAdmin.getProducerConnectionList);
  server.register(C.GET_ALL_PRODUCER_INFO, groupAdmin.getAllProducerInfo);
  server.register(C.QUERY_TOPIC_CONSUME_BY_WHO, groupAdmin.queryTopicConsumeByWho);
  server.register(C.INVOKE_BROKER_TO_RESET_OFFSET, groupAdmin.invokeBrokerToResetOffset);
  server.register(C.CLONE_GROUP_OFFSET, groupOffsets.cloneGroupOffset);
  server.register(C.GET_BROKER_CONSUME_STATS, groupOffsets.getBrokerConsumeStats);
  server.register(C.QUERY_CONSUME_TIME_SPAN, groupOffsets.queryConsumeTimeSpan);
  server.register(C.GET_CONSUMER_RUNNING_INFO, clientCalls.getConsumerRunningInfo);
  server.register(C.CONSUME_MESSAGE_DIRECTLY, clientCalls.consumeMessageDirectly);
  server.register(C.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, clientCalls.getConsumerStatus);
  server.register(C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, subscriptionGroups.updateAndCreate);
  server.register(C.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST, subscriptionGroups.updateAndCreateList);
  server.register(C.DELETE_SUBSCRIPTIONGROUP, subscriptionGroups.delete);
  server.register(C.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, subscriptionGroups.getAll);
  server.register(C.GET_BROKER_RUNTIME_INFO, brokerRuntime.getBrokerRuntimeInfo);
  server.register(C.VIEW_BROKER_STATS_DATA, brokerRuntime.viewBrokerStatsData);
  server.register(C.GET_BROKER_CONFIG, brokerConfig.getConfig);
  server.register(C.UPDATE_BROKER_CONFIG, brokerConfig.updateConfig);
  // The name-server role is this same process, with the same settings.
  server.register(C.GET_NAMESRV_CONFIG, brokerConfig.getConfig);
  server.register(C.UPDATE_NAMESRV_CONFIG, brokerConfig.updateConfig);
  for (const [code, reason] of refusedRequestCodes()) server.refuse(code, reason);
}
