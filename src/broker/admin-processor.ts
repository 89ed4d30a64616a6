import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { BrokerError } from '../errors/broker-error.js';
import { decodeHeader } from '../protocol/request-header.js';
import { CreateTopicHeader, QueryConsumeQueueHeader, QueryMessageHeader, TopicHeader, ViewMessageHeader } from '../protocol/request-headers.js';
import { encodeStoredMessage } from '../protocol/message-codec.js';
import { Prop, tagsHashCode } from '../protocol/message-properties.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody, parseJsonBody, Perm } from '../protocol/bodies.js';
import { subscriptionDataView, topicStatsTableBody } from '../protocol/admin-bodies.js';
import { queryConsumeQueueBody, topicConfigTableBody, topicConfigView, topicListBody, type TopicConfigView } from '../protocol/broker-admin-bodies.js';
import type { TopicConfig } from '../store/message-store.js';
import { isTagType, type SubscriptionView } from '../protocol/subscription.js';
import { validateTopicName, type BrokerContext } from './broker-context.js';
import { isSystemTopic, DEFAULT_TOPIC } from './system-topics.js';
import type { AdminService } from './admin-service.js';

const MAX_QUEUES = 1024;
const MAX_QUERY_RESULTS = 64;
const MAX_CONSUME_QUEUE_ENTRIES = 1024;
/** TopicValidator's system topics of Apache RocketMQ, which GET_SYSTEM_TOPIC_LIST_FROM_BROKER lists whether kept here or not. */
const APACHE_SYSTEM_TOPICS = [DEFAULT_TOPIC, 'SCHEDULE_TOPIC_XXXX', 'BenchmarkTest', 'RMQ_SYS_TRANS_HALF_TOPIC', 'RMQ_SYS_TRACE_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT', 'CHECKPOINT_TOPIC'];

/**
 * Topics and messages: UPDATE_AND_CREATE_TOPIC(_LIST), GET_TOPIC_CONFIG, GET_ALL_TOPIC_CONFIG, GET_TOPIC_STATS_INFO,
 * GET_SYSTEM_TOPIC_LIST_FROM_BROKER, DELETE_TOPIC_IN_BROKER, VIEW_MESSAGE_BY_ID, QUERY_MESSAGE, QUERY_CONSUME_QUEUE.
 */
export class AdminProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly admin: AdminService) {}

  readonly updateAndCreateTopic = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(CreateTopicHeader, req.extFields);
    await this.putTopics([this.topicConfig(h.topic, {
      readQueueNums: h.readQueueNums,
      writeQueueNums: h.writeQueueNums,
      perm: h.perm,
      topicSysFlag: h.topicSysFlag,
      order: h.order,
    })]);
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /** UPDATE_AND_CREATE_TOPIC_LIST (`mqadmin updateTopicList`): every topic is checked before any is written. */
  readonly updateAndCreateTopicList = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const { topicConfigList } = parseJsonBody<{ topicConfigList?: unknown }>(req.body, 'topic config list');
    if (!Array.isArray(topicConfigList)) throw new BrokerError('bad-request', 'the topic config list body needs a topicConfigList array');
    await this.putTopics(topicConfigList.map((raw: Partial<TopicConfigView> | null) => {
      if (typeof raw?.topicName !== 'string') throw new BrokerError('bad-request', 'every topic config needs a topicName');
      const num = (v: unknown): number | undefined => (Number.isSafeInteger(v) ? (v as number) : undefined);
      return this.topicConfig(raw.topicName, {
        readQueueNums: num(raw.readQueueNums),
        writeQueueNums: num(raw.writeQueueNums),
        perm: num(raw.perm),
        topicSysFlag: num(raw.topicSysFlag),
        order: typeof raw.order === 'boolean' ? raw.order : undefined,
      });
    }));
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /**
   * GET_ALL_TOPIC_CONFIG (`mqadmin exportMetadata`), all in one answer: without a totalTopicNum header the client asks
   * for no further pages.
   */
  readonly getAllTopicConfig = (req: RemotingCommand): RemotingCommand => {
    const topics = this.ctx.store.listTopics().map(topicConfigView);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, topicConfigTableBody(topics, { counter: topics.length, stateVersion: 0, timestamp: Date.now() }));
  };

  /** Apache RocketMQ's system topics, and the gateway's own (mqadmin leaves them out of exported metadata). */
  readonly getSystemTopicList = (req: RemotingCommand): RemotingCommand => {
    const own = this.ctx.store.listTopics().map((t) => t.name).filter(isSystemTopic);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, topicListBody(new Set([...APACHE_SYSTEM_TOPICS, ...own])));
  };

  /** Per-queue min and max offsets and the newest message's store time (TopicStatsTable), as `mqadmin topicStatus` shows them. */
  readonly getTopicStatsInfo = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const topic = decodeHeader(TopicHeader, req.extFields).topic;
    const brokerName = this.ctx.settings.brokerName;
    const stats = await this.admin.topicStats(topic);
    const body = topicStatsTableBody(stats.map((q) => [
      { brokerName, queueId: q.queueId, topic },
      { minOffset: q.minOffset, maxOffset: q.maxOffset, lastUpdateTimestamp: q.lastUpdateTimestamp },
    ] as const));
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };

  /**
   * GET_TOPIC_CONFIG: mqadmin reads it before topic and consumer statistics to find static-topic mappings, which
   * the gateway does not have (so no mappingDetail).
   */
  readonly getTopicConfig = (req: RemotingCommand): RemotingCommand => {
    const t = this.ctx.existingTopic(decodeHeader(TopicHeader, req.extFields).topic);
    const body = jsonBody(topicConfigView(t));
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };

  /** Deletes the topic with its messages and committed offsets; deleting a missing topic succeeds, as in Apache RocketMQ. */
  readonly deleteTopicInBroker = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const topic = decodeHeader(TopicHeader, req.extFields).topic;
    if (isSystemTopic(topic)) throw new BrokerError('bad-request', `topic ${topic} is a system topic of the gateway and cannot be deleted`);
    const existed = this.ctx.store.getTopic(topic) !== undefined;
    await this.ctx.store.deleteTopic(topic);
    if (existed) this.ctx.log.info({ topic }, 'topic deleted');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  readonly viewMessageById = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const locator = decodeHeader(ViewMessageHeader, req.extFields).offset;
    const msg = await this.ctx.store.lookup(locator);
    if (!msg) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no message at offset ${locator}`);
    const body = encodeStoredMessage(msg, this.ctx.settings.advertisedAddress);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };

  /** QUERY_MESSAGE: by KEYS, or by message id (UNIQ_KEY) when `_UNIQUE_KEY_QUERY` is set, within a time range. */
  readonly queryMessage = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(QueryMessageHeader, req.extFields);
    const found = await this.ctx.keyIndex.query({
      topic: h.topic,
      key: h.key,
      unique: h._UNIQUE_KEY_QUERY === true,
      begin: h.beginTimestamp ?? 0,
      end: h.endTimestamp ?? Number.MAX_SAFE_INTEGER,
      max: Math.max(1, Math.min(h.maxNum ?? 32, MAX_QUERY_RESULTS)),
    }, (locator) => this.ctx.store.lookup(locator));
    if (found.length === 0) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct');
    const body = Buffer.concat(found.map((m) => encodeStoredMessage(m, this.ctx.settings.advertisedAddress)));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { indexLastUpdateTimestamp: String(Date.now()), indexLastUpdatePhyoffset: '0' }, body);
  };

  /**
   * QUERY_CONSUME_QUEUE (`mqadmin queryCq`): a queue's entries from `index` on, each with the locator its offsetMsgId
   * carries as the physical offset, its encoded size and its tag's hash code; with a group, that group's subscription
   * of the topic. An index outside the queue gets the queue's bounds and no entries.
   */
  readonly queryConsumeQueue = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(QueryConsumeQueueHeader, req.extFields);
    const topic = h.topic;
    const queueId = h.queueId;
    const t = this.ctx.store.getTopic(topic);
    if (!t || queueId < 0 || queueId >= Math.max(t.readQueueNums, t.writeQueueNums)) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, `${queueId}@${topic} is not exist!`);
    }
    const count = Math.max(0, Math.min(h.count ?? 10, MAX_CONSUME_QUEUE_ENTRIES));
    const r = await this.ctx.store.read(topic, queueId, h.index ?? 0, count, 16 * 1024 * 1024);
    const storeHost = this.ctx.settings.advertisedAddress;
    const group = h.consumerGroup;
    const subscription = group === undefined ? undefined : this.admin.consumerGroup(group)?.subscriptions.find((s) => s.topic === topic);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, queryConsumeQueueBody({
      ...(group === undefined ? {} : subscription === undefined
        ? { filterData: `${group}@${topic} is not online!` }
        // Apache keeps filter data (ConsumerFilterData) for SQL92 subscriptions only; for tags it is JSON null.
        : { subscriptionData: subscriptionDataView(subscription), filterData: filterDataOf(group, subscription) }),
      queueData: (r.status === 'FOUND' ? r.messages : []).map((m) => ({
        physicOffset: m.locator,
        physicSize: encodeStoredMessage(m, storeHost).length,
        tagsCode: m.properties.has(Prop.TAGS) ? tagsHashCode(m.properties.get(Prop.TAGS)!) : 0,
      })),
      maxQueueIndex: r.maxOffset,
      // A found read may report its own start as the minimum (the Pulsar store does), so the queue is asked.
      minQueueIndex: await this.ctx.store.minOffset(topic, queueId),
    }));
  };

  /** A topic as asked, what the request leaves out kept from the existing topic or defaulted; checked, not yet written. */
  private topicConfig(name: string, asked: Partial<Omit<TopicConfig, 'name'>>): TopicConfig {
    validateTopicName(name);
    const existing = this.ctx.store.getTopic(name);
    const config = {
      name,
      readQueueNums: asked.readQueueNums ?? existing?.readQueueNums ?? this.ctx.settings.defaultQueues,
      writeQueueNums: asked.writeQueueNums ?? existing?.writeQueueNums ?? this.ctx.settings.defaultQueues,
      perm: asked.perm ?? existing?.perm ?? (Perm.READ | Perm.WRITE),
      topicSysFlag: asked.topicSysFlag ?? existing?.topicSysFlag ?? 0,
      order: asked.order ?? existing?.order ?? false,
    };
    for (const field of ['readQueueNums', 'writeQueueNums'] as const) {
      const n = config[field];
      if (n < 1 || n > MAX_QUEUES) throw new BrokerError('bad-request', `${field} must be between 1 and ${MAX_QUEUES}, got ${n}`);
    }
    return config;
  }

  private async putTopics(configs: TopicConfig[]): Promise<void> {
    for (const config of configs) {
      const existed = this.ctx.store.getTopic(config.name) !== undefined;
      const topic = await this.ctx.store.putTopic(config);
      this.ctx.log.info({ topic: config.name, readQueueNums: topic.readQueueNums, writeQueueNums: topic.writeQueueNums, perm: topic.perm }, existed ? 'topic updated' : 'topic created');
    }
  }
}

function filterDataOf(group: string, s: SubscriptionView): string {
  if (isTagType(s.type)) return 'null';
  return JSON.stringify({ consumerGroup: group, topic: s.topic, expression: s.expression, expressionType: s.type });
}
