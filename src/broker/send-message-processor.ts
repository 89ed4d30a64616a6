import { BrokerError } from '../errors/broker-error.js';
import { createResponse, type RemotingCommand } from '../remoting/remoting-command.js';
import type { RemotingConnection } from '../remoting/remoting-connection.js';
import { decodeHeader } from '../protocol/request-header.js';
import { SendMessageHeader } from '../protocol/request-headers.js';
import { decodeBatchBody, createOffsetMsgId, SysFlag } from '../protocol/message-codec.js';
import { parseProperties, Prop } from '../protocol/message-properties.js';
import { RequestCode, ResponseCode } from '../protocol/request-code.js';
import { Perm } from '../protocol/bodies.js';
import type { NewMessage } from '../store/message-store.js';
import type { TransactionService } from './transaction-service.js';
import { DLQ_PREFIX, RETRY_PREFIX, type BrokerContext } from './broker-context.js';
import { admitBatchBody, admitMessages } from './message-admission.js';

/** SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE. */
export class SendMessageProcessor {
  constructor(private readonly ctx: BrokerContext, private readonly transactions: TransactionService) {}

  readonly process = async (req: RemotingCommand, conn: RemotingConnection): Promise<RemotingCommand> => {
    const h = decodeHeader(SendMessageHeader, req.extFields);
    const topicName = h.topic;
    const sysFlag = h.sysFlag ?? 0;
    const prepared = (sysFlag & SysFlag.TRANSACTION_MASK) === SysFlag.TRANSACTION_PREPARED;
    const body = req.body ?? Buffer.alloc(0);
    const isBatch = req.code === RequestCode.SEND_BATCH_MESSAGE || h.batch === true;
    const maxBodyBytes = this.ctx.settings.maxMessageSize;
    const headerProps = parseProperties(h.properties);
    const bornTimestamp = h.bornTimestamp ?? Date.now();
    const reconsumeTimes = h.reconsumeTimes ?? 0;
    // Built field by field: an object spread costs microseconds a message, a batch's messages each pay it.
    const message = (flag: number, body: Buffer, properties: Map<string, string>): NewMessage => ({
      flag, body, properties, sysFlag, bornTimestamp, bornHost: conn.remoteAddress, reconsumeTimes, preparedTransactionOffset: 0n,
    });
    const maxReconsume = h.maxReconsumeTimes;
    let messages: NewMessage[];
    if (isBatch) {
      admitBatchBody(body.length, maxBodyBytes);
      // Apache RocketMQ's broker appends the batch's own properties to every message of it.
      messages = decodeBatchBody(body).map((e) => {
        const properties = parseProperties(e.properties);
        for (const [k, v] of headerProps) properties.set(k, v);
        return message(e.flag, e.body, properties);
      });
      if (messages.length === 0) throw new BrokerError('illegal-message', 'the batch holds no message');
      // As Apache's broker: a batch is stored as one append, so it cannot wait as a delayed message nor be a retry.
      if (topicName.startsWith(RETRY_PREFIX)) throw new BrokerError('illegal-message', 'a batch cannot be sent to a retry topic');
      if (messages.some((m) => Number(m.properties.get(Prop.DELAY_TIME_LEVEL) ?? 0) > 0)) {
        throw new BrokerError('illegal-message', 'a batch cannot have a delay level');
      }
    } else {
      if (maxReconsume !== undefined) headerProps.set(Prop.MAX_RECONSUME_TIMES, String(maxReconsume));
      messages = [message(h.flag ?? 0, body, headerProps)];
    }
    for (const m of messages) m.properties.set(Prop.CLUSTER, this.ctx.settings.clusterName);
    admitMessages(topicName, messages, maxBodyBytes);
    const topic = await this.ctx.topicOrCreate(topicName, h.defaultTopicQueueNums);
    if (!(topic.perm & Perm.WRITE)) throw new BrokerError('forbidden', `topic ${topicName} is not writable`);
    let queueId = h.queueId ?? -1;
    if (queueId < 0) queueId = Math.floor(Math.random() * topic.writeQueueNums);
    if (queueId >= topic.writeQueueNums) {
      throw new BrokerError('illegal-queue', `queueId ${queueId} is out of range: topic ${topicName} has ${topic.writeQueueNums} write queues`);
    }
    let target = topicName;
    // A client that could not send a failed message back re-sends it to the retry topic itself; past the
    // group's maximum it belongs in the dead-letter topic, as CONSUMER_SEND_MSG_BACK would have put it.
    if (topicName.startsWith(RETRY_PREFIX) && reconsumeTimes >= this.ctx.maxReconsumeTimes(topicName.slice(RETRY_PREFIX.length), maxReconsume)) {
      target = DLQ_PREFIX + topicName.slice(RETRY_PREFIX.length);
      await this.ctx.topicOrCreate(target, 1);
      queueId = 0;
      messages[0]!.properties.delete(Prop.DELAY_TIME_LEVEL);
    }
    if (prepared && messages.length !== 1) throw new BrokerError('illegal-message', 'a transactional message cannot be batched');
    // Apache RocketMQ's broker does not store a single message's WAIT, except on one it holds back (a half
    // message, a delayed or timed one), whose properties it writes again with WAIT among them.
    if (!isBatch && !prepared && !this.ctx.delayOf(target, messages[0]!.properties, Date.now())) messages[0]!.properties.delete(Prop.WAIT_STORE_MSG_OK);
    this.ctx.fastFailure.admitSend('remoting', target, queueId);
    const result = prepared
      ? await this.transactions.prepare(target, queueId, messages[0]!, h.producerGroup ?? '')
      : await this.ctx.putMessages(target, queueId, messages);
    let bytes = 0;
    for (const m of messages) bytes += m.body.length;
    this.ctx.traffic.messagesIn(target, messages.length, bytes);
    const addr = this.ctx.settings.advertisedAddress;
    const ids = result.locators.map((l) => createOffsetMsgId(addr, l));
    return createResponse(req, ResponseCode.SUCCESS, undefined, {
      msgId: ids.join(','),
      queueId: String(queueId),
      queueOffset: String(result.firstOffset),
      [Prop.MSG_REGION]: 'DefaultRegion',
      [Prop.TRACE_SWITCH]: 'true',
    });
  };
}
