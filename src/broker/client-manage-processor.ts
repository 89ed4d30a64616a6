import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { decodeHeader } from '../protocol/request-header.js';
import { ConsumerGroupHeader, UnregisterClientHeader } from '../protocol/request-headers.js';
import { ResponseCode } from '../protocol/request-code.js';
import { jsonBody, parseJsonBody, type HeartbeatBody, type SubscriptionDataBody } from '../protocol/bodies.js';
import { servedSubscription, SubscriptionError } from '../protocol/subscription.js';
import { BrokerError } from '../errors/broker-error.js';
import { RETRY_PREFIX, type BrokerContext } from './broker-context.js';
import type { ConsumerRegistry } from './consumer-registry.js';

/** HEART_BEAT, UNREGISTER_CLIENT, GET_CONSUMER_LIST_BY_GROUP, CHECK_CLIENT_CONFIG. */
export class ClientManageProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly registry: ConsumerRegistry) {}

  readonly heartbeat = async (req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand> => {
    const body = parseJsonBody<HeartbeatBody>(req.body, 'heartbeat');
    if (typeof body.clientID !== 'string' || body.clientID === '') throw new BrokerError('bad-request', 'heartbeat has no clientID');
    const consumers = this.registry.heartbeat(body, conn, { serializeType: req.serializeType, language: req.language, version: req.version });
    for (const c of consumers) {
      if ((c.messageModel ?? 'CLUSTERING') === 'CLUSTERING') await this.ctx.topicOrCreate(RETRY_PREFIX + c.groupName);
    }
    return createResponse(req, ResponseCode.SUCCESS);
  };

  readonly unregisterClient = (req: RemotingCommand): RemotingCommand => {
    const h = decodeHeader(UnregisterClientHeader, req.extFields);
    this.registry.unregister(h.clientID, h.producerGroup, h.consumerGroup);
    return createResponse(req, ResponseCode.SUCCESS);
  };

  readonly getConsumerListByGroup = (req: RemotingCommand): RemotingCommand => {
    const group = decodeHeader(ConsumerGroupHeader, req.extFields).consumerGroup;
    const ids = this.registry.consumerIds(group);
    if (ids.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no consumer for group ${group}`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, jsonBody({ consumerIdList: ids }));
  };

  /**
   * CHECK_CLIENT_CONFIG: a consumer with a non-TAG subscription asks at start whether the broker can filter by it;
   * a refusal fails the client's start(). Answered as Apache RocketMQ does: SUBSCRIPTION_PARSE_FAILED with the
   * parse error, SYSTEM_ERROR for a type the broker does not filter by.
   */
  readonly checkClientConfig = (req: RemotingCommand): RemotingCommand => {
    const body = parseJsonBody<{ subscriptionData?: SubscriptionDataBody | null }>(req.body, 'check client config');
    const sub = body.subscriptionData;
    if (!sub) return createResponse(req, ResponseCode.SUCCESS);
    try {
      servedSubscription(sub.expressionType, sub.subString, this.ctx.settings.enablePropertyFilter);
    } catch (err) {
      if (!(err instanceof SubscriptionError)) throw err;
      return createResponse(req, err.kind === 'invalid' ? ResponseCode.SUBSCRIPTION_PARSE_FAILED : ResponseCode.SYSTEM_ERROR, err.message);
    }
    return createResponse(req, ResponseCode.SUCCESS);
  };
}
