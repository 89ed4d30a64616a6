import { isIPv4 } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { BrokerContext } from '../broker/broker-context.js';
import { admitMessages } from '../broker/message-admission.js';
import { createOffsetMsgId } from '../protocol/message-codec.js';
import { Prop } from '../protocol/message-properties.js';
import { Perm } from '../protocol/bodies.js';
import type { NewMessage } from '../store/message-store.js';
import { BrokerError } from '../errors/broker-error.js';

/** Where a message the admin API wrote was stored, with the ids clients know it by. */
export interface AdminSendResult {
  msgId: string;
  offsetMsgId: string;
  topic: string;
  queueId: number;
  queueOffset: number;
}

/** The born host of messages the admin API writes: the gateway itself, no client. */
const ADMIN_BORN_HOST = '127.0.0.1:0';

/**
 * Client msgIds of the shape Apache's MessageClientIDSetter makes (32 hex digits: a 4-byte IPv4 address, 2 bytes of
 * process id, 4 random bytes standing for the class loader's hash, then 4 bytes of milliseconds since the start of
 * the month and a 2-byte counter), so that tools reading the id find the parts they expect.
 */
export class UniqueIdSource {
  private readonly prefix: string;
  private counter = 0;

  constructor(advertisedAddress: string) {
    const host = advertisedAddress.replace(/:\d+$/, '');
    const ip = isIPv4(host) ? host.split('.').map(Number) : [127, 0, 0, 1];
    const head = Buffer.alloc(10);
    ip.forEach((b, i) => head.writeUInt8(b, i));
    head.writeUInt16BE(process.pid & 0xffff, 4);
    randomBytes(4).copy(head, 6);
    this.prefix = head.toString('hex').toUpperCase();
  }

  next(now = Date.now()): string {
    const d = new Date(now);
    const monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
    const tail = Buffer.alloc(6);
    tail.writeUInt32BE((now - monthStart) >>> 0, 0);
    tail.writeUInt16BE(this.counter++ & 0xffff, 4);
    return this.prefix + tail.toString('hex').toUpperCase();
  }
}

/**
 * Stores one message the admin API makes (a test message, a re-sent dead letter) as a send would: into a writable
 * queue of the topic (a random one unless given), counted in the traffic stats, its keys indexed and held pulls woken.
 */
export async function storeAdminMessage(ctx: BrokerContext, topicName: string, message: Omit<NewMessage, 'bornHost' | 'bornTimestamp' | 'sysFlag' | 'preparedTransactionOffset'>, queueId?: number): Promise<AdminSendResult> {
  const topic = ctx.existingTopic(topicName);
  if (!(topic.perm & Perm.WRITE)) throw new BrokerError('forbidden', `topic ${topicName} is not writable`);
  const queue = queueId ?? Math.floor(Math.random() * topic.writeQueueNums);
  message.properties.set(Prop.CLUSTER, ctx.settings.clusterName);
  const stored: NewMessage = { ...message, sysFlag: 0, bornTimestamp: Date.now(), bornHost: ADMIN_BORN_HOST, preparedTransactionOffset: 0n };
  admitMessages(topicName, [stored], ctx.settings.maxMessageSize);
  const result = await ctx.putMessages(topicName, queue, [stored]);
  ctx.traffic.messagesIn(topicName, 1, message.body.length);
  return {
    msgId: message.properties.get(Prop.UNIQ_KEY) ?? createOffsetMsgId(ctx.settings.advertisedAddress, result.locators[0]!),
    offsetMsgId: createOffsetMsgId(ctx.settings.advertisedAddress, result.locators[0]!),
    topic: topicName,
    queueId: queue,
    queueOffset: result.firstOffset,
  };
}
