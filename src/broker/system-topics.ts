import type { MessageStore, TopicConfig } from '../store/message-store.js';
import { Perm } from '../protocol/bodies.js';

/** Where delayed messages wait, one queue per delay level, as in Apache RocketMQ. */
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';

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
