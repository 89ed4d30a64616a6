import { createRequest, createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { RemotingTimeoutError } from '../remoting/remoting-connection.js';
import { decodeHeader } from '../protocol/request-header.js';
import { ConsumeMessageDirectlyHeader, ConsumerRunningInfoHeader, ConsumerStatusHeader } from '../protocol/request-headers.js';
import { RequestCode, ResponseCode } from '../protocol/request-code.js';
import { encodeStoredMessage, parseOffsetMsgId } from '../protocol/message-codec.js';
import { fastjsonBody, ObjectKeyMap, parseFastjson } from '../protocol/fastjson.js';
import type { BrokerContext } from './broker-context.js';
import type { ClientChannel, ConsumerRegistry } from './consumer-registry.js';

/**
 * How long a consumer has to answer: under the 5 s an admin tool (mqadmin, DefaultMQAdminExt) waits for the
 * gateway, so that a silent consumer is reported to the tool rather than the tool timing out itself.
 */
const CLIENT_CALL_TIMEOUT_MS = 4000;
/** MQVersion ordinals of the first clients that answer these calls (V3_1_8_SNAPSHOT, V3_0_7_SNAPSHOT), as Apache checks. */
const RUNNING_INFO_MIN_VERSION = 62;
const CONSUMER_STATUS_MIN_VERSION = 28;

/**
 * What admin tools ask a consumer through its broker: its running info (GET_CONSUMER_RUNNING_INFO), to consume one
 * stored message now (CONSUME_MESSAGE_DIRECTLY), and each member's offsets (INVOKE_BROKER_TO_GET_CONSUMER_STATUS,
 * by GET_CONSUMER_STATUS_FROM_CLIENT). The call goes over the consumer's own connection and its answer comes back
 * as the consumer gave it; the codes and remarks for a consumer that is not online or does not answer are Apache's.
 */
export class ClientCallProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly registry: ConsumerRegistry) {}

  readonly getConsumerRunningInfo = (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ConsumerRunningInfoHeader, req.extFields);
    return this.callConsumer(RequestCode.GET_CONSUMER_RUNNING_INFO, req, h.consumerGroup, h.clientId);
  };

  /** The message is looked up by its offsetMsgId and sent along encoded as a pull delivers it, as Apache's broker does. */
  readonly consumeMessageDirectly = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ConsumeMessageDirectlyHeader, req.extFields);
    const group = h.consumerGroup;
    const msgId = h.msgId;
    const id = parseOffsetMsgId(msgId);
    const message = id ? await this.ctx.store.lookup(id.locator) : undefined;
    if (!message) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no message has the offsetMsgId ${msgId}`);
    const fields: Record<string, string> = { ...req.extFields, brokerName: this.ctx.settings.brokerName };
    const topic = this.ctx.store.getTopic(h.topic ?? message.topic);
    if (topic) fields.topicSysFlag = String(topic.topicSysFlag);
    const declared = this.ctx.store.getSubscriptionGroup(group);
    if (declared) fields.groupSysFlag = String(declared.groupSysFlag);
    const body = encodeStoredMessage(message, this.ctx.settings.advertisedAddress);
    return this.callConsumer(RequestCode.CONSUME_MESSAGE_DIRECTLY, { ...req, extFields: fields, body }, group, h.clientId);
  };

  /**
   * Each online member's offsets of `topic` (or only the member `clientAddr` names), asked of the members themselves
   * in parallel; one that fails to answer is left out, as Apache's broker leaves it out.
   */
  readonly getConsumerStatus = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ConsumerStatusHeader, req.extFields);
    const topic = h.topic;
    const group = h.group;
    const only = h.clientAddr;
    const members = this.registry.consumerGroup(group)?.clients ?? [];
    if (members.length === 0) return createResponse(req, ResponseCode.SYSTEM_ERROR, `No Any Consumer online in the consumer group: [${group}]`);
    const old = members.find((c) => c.version < CONSUMER_STATUS_MIN_VERSION);
    if (old) return createResponse(req, ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${old.version}`);
    const asked = members.filter((c) => only === undefined || c.clientId === only);
    const answers = await Promise.all(asked.map(async (c) => {
      try {
        const answer = await c.connection.invoke(createRequest(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, { topic, group }, undefined, c.serializeType), CLIENT_CALL_TIMEOUT_MS);
        const table = answer.code === ResponseCode.SUCCESS && answer.body ? (parseFastjson(answer.body.toString('utf8')) as { messageQueueTable?: unknown }).messageQueueTable : undefined;
        return [c.clientId, table ?? new ObjectKeyMap([])] as const;
      } catch (err) {
        this.ctx.log.warn({ group, topic, clientId: c.clientId, err: (err as Error).message }, 'consumer status not answered');
        return undefined;
      }
    }));
    const consumerTable = Object.fromEntries(answers.filter((a) => a !== undefined));
    return createResponse(req, ResponseCode.SUCCESS, undefined, {}, fastjsonBody({ messageQueueTable: {}, consumerTable }));
  };

  private async callConsumer(code: number, req: RemotingCommand, group: string, clientId: string): Promise<RemotingCommand> {
    const client = this.member(group, clientId);
    if (!client) return createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> <${clientId}> not online`);
    if (client.version < RUNNING_INFO_MIN_VERSION) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer <${clientId}> Version <${client.version}> too low to finish, please upgrade it to V3_1_8_SNAPSHOT`);
    }
    try {
      const answer = await client.connection.invoke(createRequest(code, req.extFields, req.body, client.serializeType), CLIENT_CALL_TIMEOUT_MS);
      return { ...answer, opaque: req.opaque, serializeType: req.serializeType };
    } catch (err) {
      if (err instanceof RemotingTimeoutError) {
        return createResponse(req, ResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${group}> <${clientId}> Timeout: it did not answer request code ${code} within ${CLIENT_CALL_TIMEOUT_MS} ms`);
      }
      return createResponse(req, ResponseCode.SYSTEM_ERROR, `invoke consumer <${group}> <${clientId}> Exception: ${(err as Error).message}`);
    }
  }

  private member(group: string, clientId: string): ClientChannel | undefined {
    return this.registry.consumerGroup(group)?.clients.find((c) => c.clientId === clientId);
  }
}
