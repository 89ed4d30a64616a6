import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { BrokerError } from '../errors/broker-error.js';
import { decodeHeader } from '../protocol/request-header.js';
import { ConsumeStatsHeader, ConsumerGroupHeader, ProducerGroupHeader, ResetOffsetHeader, TopicHeader } from '../protocol/request-headers.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody } from '../protocol/bodies.js';
import {
  consumeStatsBody,
  groupListBody,
  languageName,
  resetOffsetBody,
  subscriptionDataView,
  type ConnectionBody,
  type ConsumerConnectionBody,
} from '../protocol/admin-bodies.js';
import { producerTableInfoBody } from '../protocol/broker-admin-bodies.js';
import type { BrokerContext } from './broker-context.js';
import type { AdminService, ClientInfo, ResetTarget } from './admin-service.js';

/** GET_CONSUME_STATS names several topics in one field, separated so. */
const TOPIC_LIST_SEPARATOR = ';';

const connection = (c: ClientInfo): ConnectionBody => ({ clientId: c.clientId, clientAddr: c.clientAddr, language: languageName(c.language), version: c.version });

/**
 * What mqadmin asks about consumer and producer groups: progress and lag (GET_CONSUME_STATS), members
 * (GET_CONSUMER_CONNECTION_LIST, GET_PRODUCER_CONNECTION_LIST, GET_ALL_PRODUCER_INFO), which groups consume a topic
 * (QUERY_TOPIC_CONSUME_BY_WHO), and offset resets (INVOKE_BROKER_TO_RESET_OFFSET).
 */
export class GroupAdminProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly admin: AdminService) {}

  /** Each queue's max and committed offset; a group nobody knows gets an empty table, as from Apache RocketMQ. */
  readonly getConsumeStats = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ConsumeStatsHeader, req.extFields);
    const group = h.consumerGroup;
    const listed = (h.topicList ?? '').split(TOPIC_LIST_SEPARATOR).filter((t) => t !== '');
    const topic = h.topic;
    const topics: Array<string | undefined> = listed.length > 0 ? listed : [topic];
    const brokerName = this.ctx.settings.brokerName;
    const rows = [];
    for (const t of topics) {
      for (const q of await this.admin.groupProgress(group, t)) {
        rows.push([
          { brokerName, queueId: q.queueId, topic: q.topic },
          { brokerOffset: q.brokerOffset, consumerOffset: q.consumerOffset, pullOffset: q.consumerOffset, lastTimestamp: q.lastTimestamp },
        ] as const);
      }
    }
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, consumeStatsBody(rows));
  };

  readonly getConsumerConnectionList = (req: RemotingCommand): RemotingCommand => {
    const group = decodeHeader(ConsumerGroupHeader, req.extFields).consumerGroup;
    const g = this.admin.consumerGroup(group);
    if (!g) return createResponse(req, ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
    const body: ConsumerConnectionBody = {
      connectionSet: g.members.map(connection),
      subscriptionTable: Object.fromEntries(g.subscriptions.map((s) => [s.topic, subscriptionDataView(s)])),
      consumeType: g.consumeType || undefined,
      messageModel: g.messageModel || undefined,
      consumeFromWhere: g.consumeFromWhere || undefined,
    };
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody(body));
  };

  /** A group without live producers is SYSTEM_ERROR, the code Apache RocketMQ's broker answers. */
  readonly getProducerConnectionList = (req: RemotingCommand): RemotingCommand => {
    const group = decodeHeader(ProducerGroupHeader, req.extFields).producerGroup;
    const producers = this.admin.producers(group);
    if (producers.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, `the producer group[${group}] not exist`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody({ connectionSet: producers.map(connection) }));
  };

  /** GET_ALL_PRODUCER_INFO (`mqadmin producer`): every online producer, by group. */
  readonly getAllProducerInfo = (req: RemotingCommand): RemotingCommand => {
    const groups = new Map(this.admin.producerGroups().map((group) => [group, this.admin.producers(group).map((c) => ({
      clientId: c.clientId,
      remoteIP: c.clientAddr,
      language: languageName(c.language),
      version: c.version,
      lastUpdateTimestamp: c.lastHeartbeat,
    }))]));
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, producerTableInfoBody(groups));
  };

  readonly queryTopicConsumeByWho = (req: RemotingCommand): RemotingCommand => {
    const topic = decodeHeader(TopicHeader, req.extFields).topic;
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, groupListBody(this.admin.consumingGroups(topic)));
  };

  /**
   * Moves a group's committed offsets and tells its online clients, whether the group is online or not (as
   * Apache RocketMQ 5's server-side reset does). The header names a time (-1: the end of each queue) or an
   * offset, and a queue (-1: all of them); `isForce` is not needed, since a reset may move either way.
   */
  readonly invokeBrokerToResetOffset = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ResetOffsetHeader, req.extFields);
    const topic = h.topic;
    const group = h.group;
    const timestamp = h.timestamp ?? -1;
    const offset = h.offset ?? -1;
    const queueId = h.queueId ?? -1;
    const t = this.ctx.existingTopic(topic);
    if (!this.admin.isKnownGroup(group)) {
      throw new BrokerError('group-not-found', `consumer group ${group} does not exist: no consumer of it is online, it committed no offset and no subscription group config declares it`);
    }
    const queues = Math.max(t.readQueueNums, t.writeQueueNums);
    if (queueId < -1 || queueId >= queues) throw new BrokerError('bad-request', `queueId ${queueId} is not a queue of topic ${topic} (0 to ${queues - 1}, or -1 for all)`);
    const where = queueId >= 0 ? { queueId } : {};
    const target: ResetTarget = offset >= 0 ? { offset, ...where } : timestamp === -1 ? { offset: Number.MAX_SAFE_INTEGER, ...where } : { timestamp, ...where };
    const result = await this.admin.resetOffsets(group, topic, target);
    const brokerName = this.ctx.settings.brokerName;
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, resetOffsetBody(result.queues.map((q) => [{ brokerName, queueId: q.queueId, topic }, q.offset] as const)));
  };
}
