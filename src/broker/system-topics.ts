import type { MessageStore, TopicConfig } from '../store/message-store.js';
import { Perm } from '../protocol/bodies.js';
import { BrokerError } from '../errors/broker-error.js';

/** Where delayed messages wait, one queue per delay level, as in Apache RocketMQ. */
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';

/**
 * The topic whose route a 4.x producer asks for when its own topic has none: brokers that create topics on a send
 * publish it, and the send then names it as its `defaultTopic`.
 */
export const DEFAULT_TOPIC = 'TBW102';

/** Half (prepared) messages wait here, and their resolutions are recorded there, as in Apache RocketMQ. */
export const HALF_TOPIC = 'RMQ_SYS_TRANS_HALF_TOPIC';
export const OP_TOPIC = 'RMQ_SYS_TRANS_OP_HALF_TOPIC';

/** The key index's records: one message per flush, holding every key stored since the last one. */
export const KEY_INDEX_TOPIC = 'RMQ_SYS_KEY_INDEX';

/**
 * Topics no client may send to (Apache's TopicValidator refuses them NO_PERMISSION): what the gateway writes there
 * itself it also reads back as its own, so a message a client put there would be dropped or misread.
 */
const NOT_SENDABLE = new Set([
  SCHEDULE_TOPIC, HALF_TOPIC, OP_TOPIC, KEY_INDEX_TOPIC,
  'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT',
]);
export function ensureSendable(topic: string): void {
  if (NOT_SENDABLE.has(topic)) throw new BrokerError('forbidden', `sending to the system topic ${topic} is forbidden`);
}

/** Topics the gateway keeps for itself (delays, transactions, the key index): not for operators to delete. */
export const isSystemTopic = (topic: string): boolean => topic === SCHEDULE_TOPIC || topic.toUpperCase().startsWith('RMQ_SYS_');

/** A readable, writable topic of `queues` queues, as the gateway creates topics itself. */
export const plainTopic = (name: string, queues: number): TopicConfig =>
  ({ name, readQueueNums: queues, writeQueueNums: queues, perm: Perm.READ | Perm.WRITE, topicSysFlag: 0, order: false });

/** Makes sure the store has `name` with at least `queues` queues: the gateway's own system topics. */
export async function ensureTopic(store: MessageStore, name: string, queues: number): Promise<void> {
  const existing = store.getTopic(name);
  if (!existing || existing.readQueueNums < queues) await store.putTopic(plainTopic(name, queues));
}
