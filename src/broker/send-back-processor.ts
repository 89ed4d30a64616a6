import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import { decodeHeader } from '../protocol/request-header.js';
import { ConsumerSendBackHeader } from '../protocol/request-headers.js';
import { createOffsetMsgId } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import { ResponseCode } from '../protocol/request-code.js';
import { restoredMessage } from '../store/message-store.js';
import { DLQ_PREFIX, RETRY_PREFIX, type BrokerContext } from './broker-context.js';

/** A first retry waits level 3 (10 s by default), each later one a level more. */
const FIRST_RETRY_LEVEL = 3;

/**
 * CONSUMER_SEND_MSG_BACK: a consumer gives back a message it failed to consume. It goes to the group's
 * retry topic after a delay that grows with each attempt, or to the group's dead-letter topic once it has
 * been retried the most times allowed; either way keeping its body, properties, born host and time, and
 * original topic and id.
 */
export class SendBackProcessor {
  constructor(private readonly ctx: BrokerContext) {}

  readonly process = async (req: RemotingCommand): Promise<RemotingCommand> => {
    const h = decodeHeader(ConsumerSendBackHeader, req.extFields);
    const group = h.group;
    const locator = h.offset;
    const msg = await this.ctx.store.lookup(locator);
    if (!msg) return createResponse(req, ResponseCode.SYSTEM_ERROR, `no message at offset ${locator} to send back`);

    const maxReconsumeTimes = this.ctx.maxReconsumeTimes(group, h.maxReconsumeTimes);
    let delayLevel = h.delayLevel ?? 0;
    const toDeadLetters = msg.reconsumeTimes >= maxReconsumeTimes || delayLevel < 0;
    // Shaped as Apache RocketMQ's broker shapes it: every property the consumed message had (REAL_TOPIC and
    // REAL_QID too: a retry's are replaced when it is scheduled, a dead letter keeps them), its first topic,
    // the offsetMsgId of the message first sent back as its origin, WAIT false, and the level it waits.
    const properties = new Map(msg.properties);
    if (!properties.has(Prop.RETRY_TOPIC)) properties.set(Prop.RETRY_TOPIC, msg.topic);
    if (!properties.has(Prop.ORIGIN_MESSAGE_ID)) properties.set(Prop.ORIGIN_MESSAGE_ID, createOffsetMsgId(this.ctx.settings.advertisedAddress, msg.locator));
    properties.set(Prop.WAIT_STORE_MSG_OK, 'false');
    let topic: string;
    if (toDeadLetters) {
      topic = DLQ_PREFIX + group;
      properties.set(Prop.DELAY_TIME_LEVEL, '0');
    } else {
      topic = RETRY_PREFIX + group;
      if (delayLevel === 0) delayLevel = FIRST_RETRY_LEVEL + msg.reconsumeTimes;
      properties.set(Prop.DELAY_TIME_LEVEL, String(delayLevel));
    }
    await this.ctx.topicOrCreate(topic, 1);
    await this.ctx.putMessages(topic, 0, [restoredMessage(msg, { properties, reconsumeTimes: msg.reconsumeTimes + 1, preparedTransactionOffset: 0n })]);
    if (toDeadLetters) this.ctx.log.info({ group, topic: properties.get(Prop.RETRY_TOPIC), msgId: properties.get(Prop.UNIQ_KEY), reconsumeTimes: msg.reconsumeTimes }, 'message moved to the dead-letter topic');
    return createResponse(req, ResponseCode.SUCCESS);
  };
}
