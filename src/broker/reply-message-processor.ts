import { DEFAULT_TOPIC } from './system-topics.js';
import { createRequest, createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { Prop, parseProperties } from '../protocol/message-properties.js';
import { RequestCode, ResponseCode } from '../protocol/request-code.js';
import { decodeHeader } from '../protocol/request-header.js';
import { SendMessageHeader } from '../protocol/request-headers.js';
import type { BrokerContext } from './broker-context.js';
import type { ConsumerRegistry } from './consumer-registry.js';
import type { SendMessageProcessor } from './send-message-processor.js';

const PUSH_TIMEOUT_MS = 3000;

/**
 * SEND_REPLY_MESSAGE(_V2): the answer to a `request()`. It is stored in the reply topic like any
 * message and pushed at once (PUSH_REPLY_MESSAGE_TO_CLIENT) to the requesting client named by its
 * REPLY_TO_CLIENT property, over that client's own connection.
 */
export class ReplyMessageProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly registry: ConsumerRegistry, private readonly send: SendMessageProcessor) {}

  readonly process = async (req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand> => {
    const stored = await this.send.process(req, conn);
    if (stored.code !== ResponseCode.SUCCESS) return stored;
    const h = decodeHeader(SendMessageHeader, req.extFields);
    const properties = h.properties;
    const clientId = parseProperties(properties).get(Prop.REPLY_TO_CLIENT);
    const channel = clientId ? this.registry.producerChannel(clientId) : undefined;
    if (!channel) return createResponse(req, ResponseCode.SYSTEM_ERROR, `push reply message failed: the channel of client ${clientId ?? '(no REPLY_TO_CLIENT)'} is not found`);
    const push = createRequest(RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT, {
      producerGroup: h.producerGroup ?? '',
      topic: h.topic,
      defaultTopic: h.defaultTopic ?? DEFAULT_TOPIC,
      defaultTopicQueueNums: String(h.defaultTopicQueueNums ?? 4),
      queueId: stored.extFields.queueId ?? '0',
      sysFlag: String(h.sysFlag ?? 0),
      bornTimestamp: String(h.bornTimestamp ?? Date.now()),
      flag: String(h.flag ?? 0),
      ...(properties !== undefined ? { properties } : {}),
      reconsumeTimes: String(h.reconsumeTimes ?? 0),
      unitMode: String(h.unitMode ?? false),
      bornHost: conn.remoteAddress,
      storeHost: this.ctx.settings.advertisedAddress,
      storeTimestamp: String(Date.now()),
    }, req.body, channel.serializeType);
    try {
      const answer = await channel.connection.invoke(push, PUSH_TIMEOUT_MS);
      if (answer.code !== ResponseCode.SUCCESS) {
        return createResponse(req, ResponseCode.SYSTEM_ERROR, `push reply message to ${clientId} failed: ${answer.remark ?? answer.code}`);
      }
    } catch (err) {
      return createResponse(req, ResponseCode.SYSTEM_ERROR, `push reply message to ${clientId} failed: ${(err as Error).message}`);
    }
    return stored;
  };
}
