import { RequestCode as C } from './request-code.js';
import { declareHeader, int, long, longNumber, optBool, optInt, optLongNumber, optStr, optTime, str, type AnyHeaderDeclaration } from './request-header.js';

// Each request's header, declared once with the field names and types of Apache RocketMQ's *RequestHeader classes.
// Fields Apache requires but clients in the wild omit stay optional here, as the gateway has always taken them.

export const SendMessageHeader = declareHeader({
  producerGroup: optStr(), topic: str(), defaultTopic: optStr(), defaultTopicQueueNums: optInt(), queueId: optInt(),
  sysFlag: optInt(), bornTimestamp: optLongNumber(), flag: optInt(), properties: optStr(), reconsumeTimes: optInt({ min: 0 }),
  unitMode: optBool(), maxReconsumeTimes: optInt(), batch: optBool(), brokerName: optStr(),
}, {
  topic: 'topic',
  shortNames: {
    a: 'producerGroup', b: 'topic', c: 'defaultTopic', d: 'defaultTopicQueueNums', e: 'queueId', f: 'sysFlag', g: 'bornTimestamp',
    h: 'flag', i: 'properties', j: 'reconsumeTimes', k: 'unitMode', l: 'maxReconsumeTimes', m: 'batch', n: 'brokerName',
  },
});

export const PullMessageHeader = declareHeader({
  consumerGroup: str(), topic: str(), queueId: int(), queueOffset: longNumber(), maxMsgNums: optInt(), sysFlag: optInt(),
  commitOffset: optLongNumber(), suspendTimeoutMillis: optLongNumber(), subscription: optStr(), expressionType: optStr(),
}, { topic: 'topic', group: 'consumerGroup' });

export const ConsumerSendBackHeader = declareHeader({
  group: str(), offset: long(), delayLevel: optInt(), maxReconsumeTimes: optInt(), originMsgId: optStr(), originTopic: optStr(),
}, { group: 'group', topic: 'originTopic' });

export const EndTransactionHeader = declareHeader({
  producerGroup: optStr(), tranStateTableOffset: longNumber(), commitLogOffset: long(), commitOrRollback: int(),
  fromTransactionCheck: optBool(), msgId: optStr(), transactionId: optStr(),
}, { group: 'producerGroup' });

const QueueHeader = declareHeader({ topic: str(), queueId: int() }, { topic: 'topic' });
export const GetMaxOffsetHeader = QueueHeader;
export const GetMinOffsetHeader = QueueHeader;
export const GetEarliestMsgStoreTimeHeader = QueueHeader;
export const SearchOffsetHeader = declareHeader({ topic: str(), queueId: int(), timestamp: longNumber() }, { topic: 'topic' });
export const QueryConsumerOffsetHeader = declareHeader({ consumerGroup: str(), topic: str(), queueId: int() }, { topic: 'topic', group: 'consumerGroup' });
export const UpdateConsumerOffsetHeader = declareHeader({
  consumerGroup: str(), topic: str(), queueId: int(), commitOffset: longNumber(),
}, { topic: 'topic', group: 'consumerGroup' });

export const UnregisterClientHeader = declareHeader({ clientID: str(), producerGroup: optStr(), consumerGroup: optStr() }, { group: 'consumerGroup' });
export const ConsumerGroupHeader = declareHeader({ consumerGroup: str() }, { group: 'consumerGroup' });
export const ProducerGroupHeader = declareHeader({ producerGroup: str() }, { group: 'producerGroup' });
export const TopicHeader = declareHeader({ topic: str() }, { topic: 'topic' });
export const ClusterHeader = declareHeader({ cluster: str() });
export const KvConfigHeader = declareHeader({ namespace: optStr(), key: optStr() });

export const CreateTopicHeader = declareHeader({
  topic: str(), readQueueNums: optInt(), writeQueueNums: optInt(), perm: optInt(), topicSysFlag: optInt(), order: optBool(),
}, { topic: 'topic' });
export const ViewMessageHeader = declareHeader({ offset: long() });
export const QueryMessageHeader = declareHeader({
  topic: str(), key: str(), maxNum: optInt(), beginTimestamp: optTime(), endTimestamp: optTime(), _UNIQUE_KEY_QUERY: optBool(),
}, { topic: 'topic' });
export const QueryConsumeQueueHeader = declareHeader({
  topic: str(), queueId: int(), index: optTime(), count: optInt(), consumerGroup: optStr(),
}, { topic: 'topic', group: 'consumerGroup' });
export const ConsumeStatsHeader = declareHeader({ consumerGroup: str(), topic: optStr(), topicList: optStr() }, { topic: 'topic', group: 'consumerGroup' });
export const ResetOffsetHeader = declareHeader({
  topic: str(), group: str(), timestamp: optTime(), offset: optTime(), queueId: optInt(), isForce: optBool(),
}, { topic: 'topic', group: 'group' });
export const CloneGroupOffsetHeader = declareHeader({ srcGroup: str(), destGroup: str(), topic: optStr(), offline: optBool() }, { topic: 'topic', group: 'destGroup' });
export const BrokerConsumeStatsHeader = declareHeader({ isOrder: optBool() });
export const ConsumeTimeSpanHeader = declareHeader({ topic: str(), group: str() }, { topic: 'topic', group: 'group' });
export const ConsumerRunningInfoHeader = declareHeader({ consumerGroup: str(), clientId: str(), jstackEnable: optBool() }, { group: 'consumerGroup' });
export const ConsumeMessageDirectlyHeader = declareHeader({
  consumerGroup: str(), clientId: str(), msgId: str(), topic: optStr(), brokerName: optStr(),
}, { topic: 'topic', group: 'consumerGroup' });
export const ConsumerStatusHeader = declareHeader({ topic: str(), group: str(), clientAddr: optStr() }, { topic: 'topic', group: 'group' });
export const DeleteSubscriptionGroupHeader = declareHeader({ groupName: str(), cleanOffset: optBool() }, { group: 'groupName' });
export const BrokerStatsHeader = declareHeader({ statsName: str(), statsKey: str() });

/** Every request code whose header has fields, with its declaration: the table behind checks and the README. */
export const REQUEST_HEADERS: ReadonlyMap<number, AnyHeaderDeclaration> = new Map<number, AnyHeaderDeclaration>([
  [C.SEND_MESSAGE, SendMessageHeader], [C.SEND_MESSAGE_V2, SendMessageHeader], [C.SEND_BATCH_MESSAGE, SendMessageHeader],
  [C.SEND_REPLY_MESSAGE, SendMessageHeader], [C.SEND_REPLY_MESSAGE_V2, SendMessageHeader],
  [C.PULL_MESSAGE, PullMessageHeader], [C.LITE_PULL_MESSAGE, PullMessageHeader],
  [C.CONSUMER_SEND_MSG_BACK, ConsumerSendBackHeader], [C.END_TRANSACTION, EndTransactionHeader],
  [C.GET_MAX_OFFSET, GetMaxOffsetHeader], [C.GET_MIN_OFFSET, GetMinOffsetHeader], [C.GET_EARLIEST_MSG_STORETIME, GetEarliestMsgStoreTimeHeader],
  [C.SEARCH_OFFSET_BY_TIMESTAMP, SearchOffsetHeader], [C.QUERY_CONSUMER_OFFSET, QueryConsumerOffsetHeader],
  [C.UPDATE_CONSUMER_OFFSET, UpdateConsumerOffsetHeader], [C.UNREGISTER_CLIENT, UnregisterClientHeader],
  [C.GET_CONSUMER_LIST_BY_GROUP, ConsumerGroupHeader], [C.GET_ROUTEINFO_BY_TOPIC, TopicHeader], [C.GET_TOPICS_BY_CLUSTER, ClusterHeader],
  [C.DELETE_TOPIC_IN_NAMESRV, TopicHeader], [C.GET_KV_CONFIG, KvConfigHeader], [C.UPDATE_AND_CREATE_TOPIC, CreateTopicHeader],
  [C.GET_TOPIC_STATS_INFO, TopicHeader], [C.GET_TOPIC_CONFIG, TopicHeader], [C.DELETE_TOPIC_IN_BROKER, TopicHeader],
  [C.VIEW_MESSAGE_BY_ID, ViewMessageHeader], [C.QUERY_MESSAGE, QueryMessageHeader], [C.QUERY_CONSUME_QUEUE, QueryConsumeQueueHeader],
  [C.GET_CONSUME_STATS, ConsumeStatsHeader], [C.GET_CONSUMER_CONNECTION_LIST, ConsumerGroupHeader],
  [C.GET_PRODUCER_CONNECTION_LIST, ProducerGroupHeader], [C.QUERY_TOPIC_CONSUME_BY_WHO, TopicHeader],
  [C.INVOKE_BROKER_TO_RESET_OFFSET, ResetOffsetHeader], [C.CLONE_GROUP_OFFSET, CloneGroupOffsetHeader],
  [C.GET_BROKER_CONSUME_STATS, BrokerConsumeStatsHeader], [C.QUERY_CONSUME_TIME_SPAN, ConsumeTimeSpanHeader],
  [C.GET_CONSUMER_RUNNING_INFO, ConsumerRunningInfoHeader], [C.CONSUME_MESSAGE_DIRECTLY, ConsumeMessageDirectlyHeader],
  [C.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, ConsumerStatusHeader], [C.DELETE_SUBSCRIPTIONGROUP, DeleteSubscriptionGroupHeader],
  [C.VIEW_BROKER_STATS_DATA, BrokerStatsHeader],
]);
