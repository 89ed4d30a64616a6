import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { RemotingRequestError } from '../remoting/errors.js';
import { HeaderFields } from '../protocol/header-fields.js';
import { encodeStoredMessage } from '../protocol/message-codec.js';
import { formatProperties } from '../protocol/message-properties.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody, Perm } from '../protocol/bodies.js';
import { topicStatsTableBody } from '../protocol/admin-bodies.js';
import { isSystemTopic, validateTopicName, type BrokerContext } from './broker-context.js';
import type { AdminService } from './admin-service.js';

const MAX_QUEUES = 1024;
const MAX_QUERY_RESULTS = 64;

/** Topics and messages: UPDATE_AND_CREATE_TOPIC, GET_TOPIC_CONFIG, GET_TOPIC_STATS_INFO, DELETE_TOPIC_IN_BROKER, VIEW_MESSAGE_BY_ID, QUERY_MESSAGE. */
export class AdminProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly admin: AdminService) {}

  readonly updateAndCreateTopic = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = new HeaderFields(req.extFields);
    const name = h.str('topic');
    validateTopicName(name);
    const existing = this.ctx.store.getTopic(name);
    const read = h.optInt('readQueueNums') ?? existing?.readQueueNums ?? this.ctx.settings.defaultQueues;
    const write = h.optInt('writeQueueNums') ?? existing?.writeQueueNums ?? this.ctx.settings.defaultQueues;
    for (const [field, n] of [['readQueueNums', read], ['writeQueueNums', write]] as const) {
      if (n < 1 || n > MAX_QUEUES) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `${field} must be between 1 and ${MAX_QUEUES}, got ${n}`);
    }
    const topic = await this.ctx.store.putTopic({
      name,
      readQueueNums: read,
      writeQueueNums: write,
      perm: h.optInt('perm') ?? existing?.perm ?? (Perm.READ | Perm.WRITE),
      topicSysFlag: h.optInt('topicSysFlag') ?? existing?.topicSysFlag ?? 0,
      order: h.optBool('order') ?? existing?.order ?? false,
    });
    this.ctx.log.info({ topic: name, readQueueNums: topic.readQueueNums, writeQueueNums: topic.writeQueueNums, perm: topic.perm }, existing ? 'topic updated' : 'topic created');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  /** Per-queue min and max offsets and the newest message's store time (TopicStatsTable), as `mqadmin topicStatus` shows them. */
  readonly getTopicStatsInfo = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const topic = new HeaderFields(req.extFields).str('topic');
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
    const t = this.ctx.existingTopic(new HeaderFields(req.extFields).str('topic'));
    const body = jsonBody({
      topicName: t.name,
      readQueueNums: t.readQueueNums,
      writeQueueNums: t.writeQueueNums,
      perm: t.perm,
      topicFilterType: 'SINGLE_TAG',
      topicSysFlag: t.topicSysFlag,
      order: t.order,
      attributes: {},
    });
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };

  /** Deletes the topic with its messages and committed offsets; deleting a missing topic succeeds, as in Apache RocketMQ. */
  readonly deleteTopicInBroker = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const topic = new HeaderFields(req.extFields).str('topic');
    if (isSystemTopic(topic)) throw new RemotingRequestError(ResponseCode.INVALID_PARAMETER, `topic ${topic} is a system topic of the gateway and cannot be deleted`);
    const existed = this.ctx.store.getTopic(topic) !== undefined;
    await this.ctx.store.deleteTopic(topic);
    if (existed) this.ctx.log.info({ topic }, 'topic deleted');
    return createResponse(req, ResponseCode.SUCCESS);
  };

  readonly viewMessageById = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const locator = new HeaderFields(req.extFields).long('offset');
    const msg = await this.ctx.store.lookup(locator);
    if (!msg) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no message at offset ${locator}`);
    const body = encodeStoredMessage({ ...msg, properties: formatProperties(msg.properties) }, this.ctx.settings.advertisedAddress);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, body);
  };

  /** QUERY_MESSAGE: by KEYS, or by message id (UNIQ_KEY) when `_UNIQUE_KEY_QUERY` is set, within a time range. */
  readonly queryMessage = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = new HeaderFields(req.extFields);
    const found = await this.ctx.keyIndex.query({
      topic: h.str('topic'),
      key: h.str('key'),
      unique: req.extFields._UNIQUE_KEY_QUERY === 'true',
      begin: h.optClampedInt('beginTimestamp') ?? 0,
      end: h.optClampedInt('endTimestamp') ?? Number.MAX_SAFE_INTEGER,
      max: Math.max(1, Math.min(h.optInt('maxNum') ?? 32, MAX_QUERY_RESULTS)),
    }, (locator) => this.ctx.store.lookup(locator));
    if (found.length === 0) return createResponse(req, ResponseCode.QUERY_NOT_FOUND, 'can not find message, maybe time range not correct');
    const body = Buffer.concat(found.map((m) => encodeStoredMessage({ ...m, properties: formatProperties(m.properties) }, this.ctx.settings.advertisedAddress)));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { indexLastUpdateTimestamp: String(Date.now()), indexLastUpdatePhyoffset: '0' }, body);
  };
}
