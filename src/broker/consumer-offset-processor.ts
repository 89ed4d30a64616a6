import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader } from '../protocol/request-header.js';
import { GetEarliestMsgStoreTimeHeader, GetMaxOffsetHeader, GetMinOffsetHeader, QueryConsumerOffsetHeader, SearchOffsetHeader, UpdateConsumerOffsetHeader } from '../protocol/request-headers.js';
import { ResponseCode } from '../protocol/request-code.js';
import { UnknownQueueError } from '../store/message-store.js';
import type { BrokerContext } from './broker-context.js';

/**
 * Offsets of queues and of consumer groups: QUERY/UPDATE_CONSUMER_OFFSET, GET_MAX/MIN_OFFSET,
 * SEARCH_OFFSET_BY_TIMESTAMP, GET_EARLIEST_MSG_STORETIME.
 */
export class ConsumerOffsetProcessor {
  constructor(private readonly ctx: BrokerContext) {}

  readonly queryConsumerOffset = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(QueryConsumerOffsetHeader, req.extFields);
    const group = h.consumerGroup;
    const topic = h.topic;
    const queueId = h.queueId;
    const committed = await this.ctx.store.committedOffset(group, topic, queueId);
    if (committed !== undefined) return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: String(committed) });
    // Apache RocketMQ starts a new group at 0 while the queue still holds its very first message;
    // clients then consume from the beginning regardless of consumeFromWhere. We do the same.
    const min = await this.orZero(this.ctx.store.minOffset(topic, queueId));
    if (min <= 0 && this.ctx.store.getTopic(topic)) return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: '0' });
    return createResponse(req, ResponseCode.QUERY_NOT_FOUND, `no committed offset for group ${group} on ${topic}:${queueId}`);
  };

  readonly updateConsumerOffset = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(UpdateConsumerOffsetHeader, req.extFields);
    await this.ctx.store.commitOffset(h.consumerGroup, h.topic, h.queueId, h.commitOffset);
    return createResponse(req, ResponseCode.SUCCESS);
  };

  readonly getMaxOffset = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(GetMaxOffsetHeader, req.extFields);
    const offset = await this.orZero(this.ctx.store.maxOffset(h.topic, h.queueId));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: String(offset) });
  };

  readonly getMinOffset = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(GetMinOffsetHeader, req.extFields);
    const offset = await this.orZero(this.ctx.store.minOffset(h.topic, h.queueId));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: String(offset) });
  };

  readonly searchOffsetByTimestamp = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(SearchOffsetHeader, req.extFields);
    const offset = await this.orZero(this.ctx.store.offsetForTimestamp(h.topic, h.queueId, h.timestamp));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { offset: String(offset) });
  };

  readonly getEarliestMsgStoreTime = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(GetEarliestMsgStoreTimeHeader, req.extFields);
    const ts = await this.orZero(this.ctx.store.earliestStoreTime(h.topic, h.queueId));
    return createResponse(req, ResponseCode.SUCCESS, undefined, { timestamp: String(ts) });
  };

  /** Apache RocketMQ answers 0 for a queue it does not have; clients rely on that, e.g. while a topic is being created. */
  private async orZero(p: Promise<number>): Promise<number> {
    try {
      return await p;
    } catch (err) {
      if (err instanceof UnknownQueueError) return 0;
      throw err;
    }
  }
}
