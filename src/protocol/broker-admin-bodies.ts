import { fastjsonBody, ObjectKeyMap } from './fastjson.js';
import { jsonBody, type MessageQueueBody } from './bodies.js';
import type { OffsetWrapperBody, QueueTable, SubscriptionDataView } from './admin-bodies.js';

// Bodies of the broker-wide admin answers mqadmin and DefaultMQAdminExt read: topic lists and configs, broker stats,
// consume statistics across groups, consume time spans, consume queue entries, producers.

/** TopicList: names, with the broker that holds them where the name server says so. */
export const topicListBody = (topics: Iterable<string>, brokerAddr?: string): Buffer => jsonBody({ topicList: [...topics], brokerAddr });

/** TopicConfig as Apache's broker keeps it; the gateway's topics carry no attributes or static mapping. */
export interface TopicConfigView {
  topicName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicFilterType: 'SINGLE_TAG';
  topicSysFlag: number;
  order: boolean;
  attributes: Record<string, string>;
}

export const topicConfigView = (t: { name: string; readQueueNums: number; writeQueueNums: number; perm: number; topicSysFlag: number; order: boolean }): TopicConfigView => ({
  topicName: t.name,
  readQueueNums: t.readQueueNums,
  writeQueueNums: t.writeQueueNums,
  perm: t.perm,
  topicFilterType: 'SINGLE_TAG',
  topicSysFlag: t.topicSysFlag,
  order: t.order,
  attributes: {},
});

/** DataVersion: a counter and when it last moved. */
export interface DataVersionBody {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

/** TopicConfigSerializeWrapper: every topic config, as GET_ALL_TOPIC_CONFIG answers. */
export const topicConfigTableBody = (topics: TopicConfigView[], dataVersion: DataVersionBody): Buffer =>
  jsonBody({ topicConfigTable: Object.fromEntries(topics.map((t) => [t.topicName, t])), dataVersion });

/** BrokerStatsItem: one window of a broker stats item. */
export interface BrokerStatsItemBody {
  sum: number;
  tps: number;
  avgpt: number;
}

/** BrokerStatsData, as VIEW_BROKER_STATS_DATA answers. */
export const brokerStatsDataBody = (minute: BrokerStatsItemBody, hour: BrokerStatsItemBody, day: BrokerStatsItemBody): Buffer =>
  jsonBody({ statsMinute: minute, statsHour: hour, statsDay: day });

/** ConsumeStatsList: per group, one ConsumeStats per topic, with the diff summed over all of them. */
export const consumeStatsListBody = (groups: Array<{ group: string; topics: Array<QueueTable<OffsetWrapperBody>> }>, brokerAddr: string, totalDiff: number): Buffer =>
  fastjsonBody({
    brokerAddr,
    consumeStatsList: groups.map((g) => ({ [g.group]: g.topics.map((rows) => ({ offsetTable: new ObjectKeyMap(rows), consumeTps: 0 })) })),
    totalDiff,
    totalInflightDiff: 0,
  });

/** QueueTimeSpan: a queue's oldest and newest store times and where a group has consumed up to. */
export interface QueueTimeSpanBody {
  messageQueue: MessageQueueBody;
  minTimeStamp: number;
  maxTimeStamp: number;
  consumeTimeStamp: number;
  /** how long the oldest unconsumed message has waited, 0 when there is none */
  delayTime: number;
}

export const queryConsumeTimeSpanBody = (spans: QueueTimeSpanBody[]): Buffer => jsonBody({ consumeTimeSpanSet: spans });

/** ConsumeQueueData: one entry of a consume queue; `physicOffset` is what a message's offsetMsgId carries. */
export interface ConsumeQueueDataBody {
  physicOffset: bigint;
  physicSize: number;
  tagsCode: number;
}

export interface QueryConsumeQueueBody {
  subscriptionData?: SubscriptionDataView;
  filterData?: string;
  queueData: ConsumeQueueDataBody[];
  maxQueueIndex: number;
  minQueueIndex: number;
}

export const queryConsumeQueueBody = (body: QueryConsumeQueueBody): Buffer =>
  fastjsonBody({ ...body, queueData: body.queueData.map((q) => ({ ...q, eval: false })) });

/** ProducerInfo: one producer of a group, as GET_ALL_PRODUCER_INFO lists them. */
export interface ProducerInfoBody {
  clientId: string;
  remoteIP: string;
  /** a LanguageCode name */
  language: string;
  version: number;
  lastUpdateTimestamp: number;
}

export const producerTableInfoBody = (groups: Map<string, ProducerInfoBody[]>): Buffer => jsonBody({ data: Object.fromEntries(groups) });
