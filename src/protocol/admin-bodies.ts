import { BrokerError } from '../errors/broker-error.js';
import { LANGUAGES } from '../remoting/remoting-command.js';
import { fastjsonBody, ObjectKeyMap } from './fastjson.js';
import { parseJsonBody, type MessageQueueBody } from './bodies.js';
import { isTagType, parseTagExpression, type SubscriptionView } from './subscription.js';

// Bodies of the admin requests Apache RocketMQ's mqadmin sends (TopicStatsTable, ConsumeStats, ResetOffsetBody,
// ConsumerConnection, ProducerConnection, KVTable, GroupList, SubscriptionGroupConfig). The tables keyed by
// MessageQueue are written the way fastjson writes object-keyed maps, which mqadmin's parser expects.

/** TopicOffset: one queue of a TopicStatsTable. */
export interface TopicOffsetBody {
  minOffset: number;
  maxOffset: number;
  lastUpdateTimestamp: number;
}

/** OffsetWrapper: one queue of a ConsumeStats. */
export interface OffsetWrapperBody {
  brokerOffset: number;
  consumerOffset: number;
  /** how far the group has pulled; mqadmin prints pullOffset - consumerOffset as "in flight" */
  pullOffset: number;
  lastTimestamp: number;
}

export type QueueTable<V> = Array<readonly [MessageQueueBody, V]>;

export const topicStatsTableBody = (offsetTable: QueueTable<TopicOffsetBody>): Buffer =>
  fastjsonBody({ offsetTable: new ObjectKeyMap(offsetTable), topicPutTps: 0 });

export const consumeStatsBody = (offsetTable: QueueTable<OffsetWrapperBody>): Buffer =>
  fastjsonBody({ offsetTable: new ObjectKeyMap(offsetTable), consumeTps: 0 });

/** ResetOffsetBody: the offset each queue was reset to. */
export const resetOffsetBody = (offsetTable: QueueTable<number>): Buffer => fastjsonBody({ offsetTable: new ObjectKeyMap(offsetTable) });

/** Connection: one client of a ConsumerConnection or ProducerConnection. */
export interface ConnectionBody {
  clientId: string;
  clientAddr: string;
  /** a LanguageCode name */
  language: string;
  version: number;
}

export interface ConsumerConnectionBody {
  connectionSet: ConnectionBody[];
  subscriptionTable: Record<string, SubscriptionDataView>;
  consumeType?: string;
  messageModel?: string;
  consumeFromWhere?: string;
}

/** SubscriptionData as a consumer's heartbeat declares it, with the tags and their hash codes worked out. */
export interface SubscriptionDataView {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  expressionType: string;
  classFilterMode: false;
}

/** Tags and their codes are worked out of TAG expressions only; other types keep their expression as it is. */
export function subscriptionDataView(s: SubscriptionView): SubscriptionDataView {
  if (!isTagType(s.type)) return { topic: s.topic, subString: s.expression, tagsSet: [], codeSet: [], expressionType: s.type, classFilterMode: false };
  const sub = parseTagExpression(s.expression);
  return { topic: s.topic, subString: sub.expression, tagsSet: [...sub.tags], codeSet: [...sub.codes], expressionType: 'TAG', classFilterMode: false };
}

/** mqadmin parses `language` into its LanguageCode enum; anything else it does not know is OTHER. */
export const languageName = (language: string): string => ((LANGUAGES as readonly string[]).includes(language) ? language : 'OTHER');

/** KVTable: name → value, as GET_BROKER_RUNTIME_INFO answers. */
export const kvTableBody = (table: Record<string, string>): Buffer => fastjsonBody({ table });

/** GroupList: consumer groups, as QUERY_TOPIC_CONSUME_BY_WHO answers. */
export const groupListBody = (groups: string[]): Buffer => fastjsonBody({ groupList: groups });

/** SubscriptionGroupConfig: a consumer group as an operator declared it. */
export interface SubscriptionGroupConfigBody {
  groupName: string;
  consumeEnable: boolean;
  consumeFromMinEnable: boolean;
  consumeBroadcastEnable: boolean;
  consumeMessageOrderly: boolean;
  retryQueueNums: number;
  retryMaxTimes: number;
  brokerId: number;
  whichBrokerWhenConsumeSlowly: number;
  notifyConsumerIdsChangedEnable: boolean;
  groupSysFlag: number;
  consumeTimeoutMinute: number;
  attributes: Record<string, string>;
  groupRetryPolicy?: Record<string, unknown>;
}

/** Apache RocketMQ's defaults, which also describe a group that consumers created without declaring it. */
export const defaultSubscriptionGroupConfig = (groupName: string): SubscriptionGroupConfigBody => ({
  groupName,
  consumeEnable: true,
  consumeFromMinEnable: true,
  consumeBroadcastEnable: true,
  consumeMessageOrderly: false,
  retryQueueNums: 1,
  retryMaxTimes: 16,
  brokerId: 0,
  whichBrokerWhenConsumeSlowly: 1,
  notifyConsumerIdsChangedEnable: true,
  groupSysFlag: 0,
  consumeTimeoutMinute: 15,
  attributes: {},
  groupRetryPolicy: { type: 'CUSTOMIZED' },
});

const BOOLEAN_FIELDS = ['consumeEnable', 'consumeFromMinEnable', 'consumeBroadcastEnable', 'consumeMessageOrderly', 'notifyConsumerIdsChangedEnable'] as const;
const INTEGER_FIELDS = ['retryQueueNums', 'retryMaxTimes', 'brokerId', 'whichBrokerWhenConsumeSlowly', 'groupSysFlag', 'consumeTimeoutMinute'] as const;

const invalid = (reason: string): BrokerError => new BrokerError('bad-request', `subscription group config: ${reason}`);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body: fields it leaves out take Apache RocketMQ's defaults, fields this
 * gateway does not keep (subscriptionDataSet) are dropped, a field of the wrong type is INVALID_PARAMETER.
 */
export const parseSubscriptionGroupConfig = (body: Buffer | undefined): SubscriptionGroupConfigBody =>
  subscriptionGroupConfigOf(parseJsonBody<unknown>(body, 'subscription group config'));

/** UPDATE_AND_CREATE_SUBSCRIPTIONGROUP_LIST's SubscriptionGroupList: each config read as a single one is. */
export function parseSubscriptionGroupList(body: Buffer | undefined): SubscriptionGroupConfigBody[] {
  const raw = parseJsonBody<unknown>(body, 'subscription group list');
  if (!isRecord(raw) || !Array.isArray(raw.groupConfigList)) throw invalid('the body needs a groupConfigList array');
  return raw.groupConfigList.map(subscriptionGroupConfigOf);
}

function subscriptionGroupConfigOf(raw: unknown): SubscriptionGroupConfigBody {
  if (!isRecord(raw)) throw invalid('the body must be a JSON object');
  if (typeof raw.groupName !== 'string') throw invalid('groupName is required');
  const config = defaultSubscriptionGroupConfig(raw.groupName);
  for (const f of BOOLEAN_FIELDS) {
    const v = raw[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'boolean') throw invalid(`${f} must be true or false`);
    config[f] = v;
  }
  for (const f of INTEGER_FIELDS) {
    const v = raw[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(`${f} must be an integer`);
    config[f] = v;
  }
  if (raw.attributes !== undefined && raw.attributes !== null) {
    if (!isRecord(raw.attributes) || !Object.values(raw.attributes).every((v) => typeof v === 'string')) throw invalid('attributes must map names to strings');
    config.attributes = raw.attributes as Record<string, string>;
  }
  if (raw.groupRetryPolicy !== undefined && raw.groupRetryPolicy !== null) {
    if (!isRecord(raw.groupRetryPolicy)) throw invalid('groupRetryPolicy must be an object');
    config.groupRetryPolicy = raw.groupRetryPolicy;
  }
  return config;
}
